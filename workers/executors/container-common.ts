import os from "node:os";
import path from "node:path";

/** What the docker and kubernetes executors share: the container's shape, step control and ownership. */

/** PID 1 of a job's container: does nothing, and leaves at once on SIGTERM so stopping it is quick. */
export const KEEP_ALIVE = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"];

/** Where a step's shell writes its PID; an exec is its own session leader, so this is also its process group. */
export const STEP_PID_FILE = "/tmp/.slipway-step-pid";

/** Time between SIGTERM and SIGKILL when a step is aborted, as in the local executor. */
export const KILL_GRACE_MS = 3000;

/** Exit code reported for a step stopped by abort when its own code does not say so (128 + SIGTERM). */
export const ABORTED_EXIT_CODE = 143;

/**
 * Docker's default capabilities minus what a build has no use for: raw sockets
 * (spoofing), device nodes, audit writes, chroot and capability juggling. CHOWN,
 * SETUID and the like stay: package managers need them.
 */
export const CAP_DROP = ["NET_RAW", "MKNOD", "AUDIT_WRITE", "SYS_CHROOT", "SETPCAP", "SETFCAP"];

/**
 * Who created a container or Pod. Worker ids are new on every start, so after a
 * crash nobody has the dead worker's id: the restarted worker on the same host
 * recognises the leftovers by host name and a process id that is no longer alive.
 */
export type Owner = { workerId: string; host: string; pid: number };

export function currentOwner(workerId: string): Owner {
  return { workerId, host: os.hostname(), pid: process.pid };
}

export function ownerLabels(owner: Owner): Record<string, string> {
  return { "slipway.worker": owner.workerId, "slipway.host": owner.host, "slipway.worker-pid": String(owner.pid) };
}

/**
 * Left behind by a worker that is gone: same host, and either this worker's own
 * (the caller excludes live sessions) or a worker whose process has exited. A
 * sibling worker on the same host is alive, so its containers are never touched;
 * another host's leftovers wait for a worker on that host.
 */
export function isOrphan(labels: Record<string, string | undefined>, self: Owner): boolean {
  if (labels["slipway.host"] !== self.host) return false;
  if (labels["slipway.worker"] === self.workerId) return true;
  const pid = Number(labels["slipway.worker-pid"]);
  // Our own PID under a different worker id is an earlier run of this process slot (a restarted container).
  if (!Number.isInteger(pid) || pid <= 0 || pid === self.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** `/workspace/<dir>`, refusing a working directory that climbs out of the workspace. */
export function insideWorkspace(workingDirectory: string | undefined): string {
  const resolved = path.posix.resolve("/workspace", workingDirectory ?? ".");
  if (resolved !== "/workspace" && !resolved.startsWith("/workspace/")) {
    throw new Error(`working-directory "${workingDirectory}" leaves the workspace`);
  }
  return resolved;
}

export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
