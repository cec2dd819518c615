import { readdirSync } from "node:fs";
import os from "node:os";
import { SCHED_IDLE, schedulingPolicy, type Priority } from "@/server/config/cpu-priority";

const threads = (pid: number) => readdirSync(`/proc/${pid}/task`).map(Number);

/** The distinct nice values of a process's threads (Linux keeps one per thread). */
export function threadPriorities(pid: number): number[] {
  return [...new Set(threads(pid).map((thread) => os.getPriority(thread)))];
}

/** The distinct scheduling policies of a process's threads. */
export function threadPolicies(pid: number): Array<Priority["policy"] | number> {
  const policyOf = (thread: number) => {
    const policy = schedulingPolicy(thread);
    return policy === 0 ? "normal" : policy === SCHED_IDLE ? "idle" : policy;
  };
  return [...new Set(threads(pid).map(policyOf))];
}
