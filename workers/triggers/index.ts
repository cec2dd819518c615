import type PgBoss from "pg-boss";
import type { Database } from "@/db/client";
import { ensureQueues, QUEUES } from "@/server/queue/boss";
import type { TriggerDeps } from "@/server/services/pipeline-source";
import { startPolling } from "./poll";
import { startScheduleWorkers } from "./schedule";

/**
 * Registers the trigger side of a worker: schedules (sync and firing) and
 * repository polling. Returns a function that stops them, for shutdown.
 */
export async function registerTriggerWorkers(
  boss: PgBoss,
  db: Database,
  dataDir: string,
  options: Omit<TriggerDeps, "dataDir"> & { pollTickMs?: number; schedulePollingSeconds?: number } = {},
): Promise<() => Promise<void>> {
  const { pollTickMs, schedulePollingSeconds, ...rest } = options;
  const deps: TriggerDeps = { dataDir, ...rest };
  await ensureQueues(boss, [QUEUES.scheduleSync, QUEUES.pollProject]);
  const stopSchedules = await startScheduleWorkers(boss, db, deps, schedulePollingSeconds ? { pollingIntervalSeconds: schedulePollingSeconds } : {});
  const stopPolling = await startPolling(boss, db, deps, pollTickMs ? { tickMs: pollTickMs } : {});
  return async () => {
    await stopPolling();
    await stopSchedules();
  };
}
