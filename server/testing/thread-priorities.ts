import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import type { Priority } from "@/server/config/cpu-priority";

const threads = (pid: number) => readdirSync(`/proc/${pid}/task`).map(Number);

/** The distinct nice values of a process's threads (Linux keeps one per thread). */
export function threadPriorities(pid: number): number[] {
  return [...new Set(threads(pid).map((thread) => os.getPriority(thread)))];
}

/** The distinct scheduling policies of a process's threads: field 41 of /proc/<pid>/task/<tid>/stat (0 SCHED_OTHER, 5 SCHED_IDLE). */
export function threadPolicies(pid: number): Array<Priority["policy"] | number> {
  const policyOf = (thread: number) => {
    const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, "utf8");
    // Fields from the third on follow the command name in parentheses, which may hold spaces.
    const policy = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[41 - 3]);
    return policy === 0 ? "normal" : policy === 5 ? "idle" : policy;
  };
  return [...new Set(threads(pid).map(policyOf))];
}
