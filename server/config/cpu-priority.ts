import { execFile, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
 *
 * A process in a session of its own (a detached instance, a pipeline step) gets the priority
 * for its session's CPU group too: see `setSessionPriority`.
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
    const child = CHRT ? spawn(CHRT, [policyFlag(priority), "0", program, ...args], options) : spawn(program, args, options);
    // spawn() returns once the child has started its session and exec'd: its group is there to set.
    if (options.detached && child.pid) setSessionPriority(child.pid, priority);
    return child;
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
  setSessionPriority(pid, priority);
}

/**
 * Gives `priority` to the CPU group of the session `pid` leads, if it leads one. With Linux's
 * autogroups (sched_autogroup_enabled, on by default in many kernels) every session is a group
 * of its own, and groups share the CPU as equals whatever the policies and nice values inside
 * them: an instance booting under SCHED_IDLE in its own session took as much CPU as the whole
 * session of the router, the web app and PostgreSQL. On two cores under load, a rolling
 * deployment's p99 against the steady one fell from 1.69-2.18 to 1.40-1.63 with this (five
 * interleaved pairs of runs). The idle policy gets the group's lowest weight (nice 19), the
 * normal one its nice value.
 * Nothing changes without autogroups, for a process that is gone, or for a raise Slipway may
 * not make.
 */
export function setSessionPriority(pid: number, priority: Priority): void {
  if (!leadsOwnSession(pid)) return;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(sessionNice(priority)));
  } catch {
    // No autogroups in this kernel, the process is gone, or the raise is not ours to make.
  }
}

/** The nice value of a session's CPU group for `priority`. */
export function sessionNice(priority: Priority): number {
  return priority.policy === "idle" ? 19 : priority.nice;
}

/** This process's own priority, as its main thread has it. */
export function ownPriority(): Priority {
  return { nice: os.getPriority(0), policy: schedulingPolicy(process.pid) === SCHED_IDLE ? "idle" : "normal" };
}

export const SCHED_IDLE = 5;

/** Fields of /proc/<pid>/stat (also a thread's id) from the third (state) on: they follow the command name, in parentheses that may hold spaces. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

function leadsOwnSession(pid: number): boolean {
  // Field 6: the session id, which is the pid of its leader.
  return statFields(pid)?.[6 - 3] === String(pid);
}

/** The scheduling policy of a process's main thread, or of the thread with that id: field 41 (0 SCHED_OTHER, 5 SCHED_IDLE). */
export function schedulingPolicy(pid: number): number {
  return Number(statFields(pid)?.[41 - 3] ?? 0);
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
