import { readdirSync } from "node:fs";
import os from "node:os";

/**
 * CPU priorities (nice values) of Slipway's processes. Traffic comes first: the router, the
 * web app and admitted instances run at the normal priority, background work (the worker:
 * pipelines and deployments) below it, and an instance that boots or stops lowest of all.
 * On a small machine a deployment's own work (starting Node apps, its database writes) is
 * then done in the gaps between requests instead of delaying them.
 *
 * Only Slipway running as root can hand the normal priority back (to an instance the worker
 * started, once it is admitted); without that, every process keeps the normal priority,
 * since an instance stuck below its router would serve more slowly.
 */
export const PRIORITY = {
  normal: 0,
  /** The worker process, and the pipeline steps it runs. */
  worker: 10,
  /** An instance starting up or shutting down. */
  idle: 19,
} as const;

export function canRaisePriority(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Starts a process at `nice`: a child inherits the nice value of the thread that forks it,
 * so the calling thread takes that value for the spawn and gets its own back afterwards.
 * The child is never at another priority, not even while it loads.
 */
export function spawnAtPriority<T>(nice: number, spawn: () => T): T {
  if (!canRaisePriority()) return spawn();
  const own = os.getPriority(0);
  if (own === nice) return spawn();
  os.setPriority(0, nice);
  try {
    return spawn();
  } finally {
    os.setPriority(0, own);
  }
}

/**
 * Sets every thread of a process to `nice` (Linux keeps one per thread, and a thread takes
 * its creator's). Lowering a priority is always allowed, raising it only as root: a raise
 * that is not allowed, like a process that is gone, changes nothing.
 */
export function setProcessPriority(pid: number, nice: number): void {
  let threads: number[];
  try {
    threads = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    threads = [pid];
  }
  for (const thread of threads) {
    try {
      os.setPriority(thread, nice);
    } catch {
      // The thread or the process is gone, or it is not ours to change.
    }
  }
}
