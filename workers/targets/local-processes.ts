import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { isAlive } from "../../server/config/pid";

/** A local-target instance as recorded under `<data>/targets/local/<environment>/<id>.json`. */
export type InstanceRecord = { id: string; version: string; releaseId: string; deploymentId: string; pid: number; port: number; cwd: string; startedAt: string };

export const localTargetsDir = (dataDir: string) => path.join(dataDir, "targets", "local");

/** Instances run in process groups of their own: the signal reaches whatever the command started too. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Stops every local-target instance recorded under a data folder. Instances
 * outlive Slipway on purpose (a restart must not take the apps down), so
 * whoever throws a data folder away (the journeys, a test) stops them first.
 */
export async function stopRecordedInstances(dataDir: string, graceMs = 5_000): Promise<void> {
  const root = localTargetsDir(dataDir);
  const pids: number[] = [];
  for (const environment of await readdir(root).catch(() => [] as string[])) {
    // Unpacked releases live beside the environments' folders.
    if (environment === "releases") continue;
    for (const name of await readdir(path.join(root, environment)).catch(() => [] as string[])) {
      if (!name.endsWith(".json")) continue;
      const record = await readFile(path.join(root, environment, name), "utf8").then((text) => JSON.parse(text) as InstanceRecord, () => null);
      if (typeof record?.pid === "number" && isAlive(record.pid)) pids.push(record.pid);
    }
  }
  for (const pid of pids) signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(isAlive)) signalGroup(pid, "SIGKILL");
}
