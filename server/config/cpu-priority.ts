import { execFile, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * CPU priorities of Slipway's processes. Traffic comes first: the router, the web app and
 * admitted instances run at the normal priority. Background work (the worker: pipelines and
 * deployments) and an instance that boots, warms up or stops run under Linux's SCHED_IDLE
 * policy, and at a low nice value where that policy cannot be set.
 *
 * Why SCHED_IDLE and not only nice: a niced process that has the core keeps it until its
 * time slice ends (up to a 4 ms scheduler tick), so each request that wakes meanwhile waits;
 * a SCHED_IDLE one gives the core up the moment any other process wakes. A deployment's own
 * work (starting and warming up Node apps, probing them, its database writes) is then done
 * in the gaps between requests instead of delaying them.
 *
 * Only Slipway running as root can hand the normal priority back (to an instance the worker
 * started, once it is admitted); without that, every process keeps the normal priority,
 * since an instance stuck below its router would serve more slowly.
 */
export type Priority = { nice: number; policy: "normal" | "idle" };

export const PRIORITY = {
  normal: { nice: 0, policy: "normal" },
  /** The worker process, and the pipeline steps it runs. */
  worker: { nice: 10, policy: "idle" },
  /** An instance starting up, warming up or shutting down. */
  idle: { nice: 19, policy: "idle" },
} as const satisfies Record<string, Priority>;

export function canRaisePriority(): boolean {
  return process.getuid?.() === 0;
}

/** Node has no call for sched_setscheduler: util-linux's chrt makes it. */
const CHRT = findExecutable("chrt");

const policyFlag = (priority: Priority) => (priority.policy === "idle" ? "--idle" : "--other");

/**
 * Starts `program` at `priority`: a child inherits the nice value of the thread that forks
 * it, so the calling thread takes that value for the spawn and gets its own back afterwards,
 * and chrt sets the policy before it runs the program. The child is never at another
 * priority, not even while it loads. `program` must exist: through chrt, a missing one is a
 * process that exits at once rather than an error of `spawn`.
 */
export function spawnAtPriority(priority: Priority, program: string, args: string[], options: SpawnOptions): ChildProcess {
  if (!canRaisePriority()) return spawn(program, args, options);
  const own = os.getPriority(0);
  os.setPriority(0, priority.nice);
  try {
    return CHRT ? spawn(CHRT, [policyFlag(priority), "0", program, ...args], options) : spawn(program, args, options);
  } finally {
    os.setPriority(0, own);
  }
}

/**
 * Sets every thread of a process to `priority` (Linux keeps one per thread, and a thread
 * takes its creator's). Lowering a priority is always allowed, raising it only as root: a
 * raise that is not allowed, like a process that is gone, changes nothing.
 */
export async function setProcessPriority(pid: number, priority: Priority): Promise<void> {
  let threads: number[];
  try {
    threads = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    threads = [pid];
  }
  for (const thread of threads) {
    try {
      os.setPriority(thread, priority.nice);
    } catch {
      // The thread or the process is gone, or it is not ours to change.
    }
  }
  if (CHRT) await new Promise<void>((resolve) => execFile(CHRT, ["--all-tasks", policyFlag(priority), "--pid", "0", String(pid)], () => resolve()));
}

/** The file `program` names, as execvp would find it on `searchPath` (a path is taken relative to `cwd`); null when there is none. */
export function findExecutable(program: string, searchPath = process.env.PATH ?? "", cwd = process.cwd()): string | null {
  const candidates = program.includes("/") ? [path.resolve(cwd, program)] : searchPath.split(":").filter(Boolean).map((dir) => path.join(dir, program));
  return candidates.find(isExecutableFile) ?? null;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
