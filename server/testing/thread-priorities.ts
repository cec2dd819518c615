import { readdirSync } from "node:fs";
import os from "node:os";

/** The distinct nice values of a process's threads (Linux keeps one per thread). */
export function threadPriorities(pid: number): number[] {
  return [...new Set(readdirSync(`/proc/${pid}/task`).map((thread) => os.getPriority(Number(thread))))];
}
