import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { freePort } from "@/server/config/ports";
import { stopRecordedInstances } from "@/workers/targets/local-processes";

export type RunningSlipway = { child: ChildProcess; port: number; stop: () => Promise<void> };

/** Starts Slipway exactly as `npm start` does (its launcher), on free ports and the given data folder. */
export async function spawnSlipway(dataDir: string, extraEnv: Record<string, string> = {}): Promise<RunningSlipway> {
  const port = await freePort();
  const child = spawn(process.execPath, ["server/cli/launch.mjs", "start"], {
    env: {
      ...process.env,
      DATABASE_URL: "",
      NEXT_TELEMETRY_DISABLED: "1",
      SLIPWAY_DATA_DIR: dataDir,
      PORT: String(port),
      SLIPWAY_ROUTER_PORT: String(await freePort()),
      SLIPWAY_DB_PORT: String(await freePort()),
      ...extraEnv,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const stop = async () => {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
    // The demo's deployments outlive Slipway on purpose; the bench's folder is thrown away.
    await stopRecordedInstances(dataDir);
  };
  return { child, port, stop };
}

export async function waitHealthy(port: number, timeoutMs = 120_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`Slipway on port ${port} was not healthy within ${timeoutMs} ms`);
}

/** Resident memory (VmRSS) of a process and all of its descendants, in MiB. */
export function treeRssMb(rootPid: number): number {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      parents.set(Number(entry), Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]));
      rss.set(Number(entry), Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0));
    } catch {
      // Ended while we looked.
    }
  }
  let total = rss.get(rootPid) ?? 0;
  const visit = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent !== pid) continue;
      total += rss.get(child) ?? 0;
      visit(child);
    }
  };
  visit(rootPid);
  return total / 1024;
}
