import { readFileSync, readdirSync } from "node:fs";

/** CPU seconds (user+system) used so far by processes matching a predicate on their command line, dead children included. */
export function cpuSeconds(match: (cmdline: string) => boolean): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (!match(cmd)) continue;
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // Gone while we looked.
    }
  }
  return ticks / 100;
}
