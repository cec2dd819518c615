import type PgBoss from "pg-boss";
import type { Database } from "@/db/client";
import { QUEUES } from "@/server/queue/boss";
import type { TriggerDeps } from "@/server/services/pipeline-source";
import {
  requestScheduleSync,
  SCHEDULE_PREFIX,
  startScheduledRun,
  syncAllSchedules,
  syncProjectSchedules,
  type ScheduleJob,
} from "@/server/services/schedules";

/** Every five minutes all projects' schedules are re-read, catching pipeline changes nobody announced. */
export const RECONCILE_CRON = "*/5 * * * *";
/** How often a worker looks for schedules added or removed elsewhere, to start or stop working their queues. */
export const ATTACH_INTERVAL_MS = 30_000;

type SyncRequest = { projectId?: string };

/**
 * The schedule side of a worker: keeps pg-boss schedules in line with the
 * pipelines (`schedule-sync` jobs), and works each schedule's queue, starting
 * a run on the default branch when a schedule fires.
 */
export async function startScheduleWorkers(
  boss: PgBoss,
  db: Database,
  deps: TriggerDeps,
  { pollingIntervalSeconds = 10 }: { pollingIntervalSeconds?: number } = {},
): Promise<() => Promise<void>> {
  const attached = new Set<string>();

  const fire = async (jobs: PgBoss.Job<ScheduleJob>[]) => {
    for (const job of jobs) {
      const outcome = await startScheduledRun(db, deps, job.data, job.id);
      if (outcome.started) console.log(`[schedule] ${job.name}: run #${outcome.run.number} started`);
      else if (!("duplicate" in outcome)) {
        console.log(`[schedule] ${job.name}: no run: ${outcome.reason}`);
        // The pipeline may have dropped or changed this schedule: bring the schedules up to date.
        await requestScheduleSync(db, job.data.projectId);
      }
    }
  };

  /** Starts working the queues of new schedules and stops working those of removed ones. */
  const attach = async () => {
    const names = new Set((await boss.getSchedules()).map((s) => s.name).filter((n) => n.startsWith(SCHEDULE_PREFIX)));
    for (const name of names) {
      if (attached.has(name)) continue;
      attached.add(name);
      // Schedules fire at most once a minute; a slow poll keeps many schedule queues cheap.
      await boss.work<ScheduleJob>(name, { pollingIntervalSeconds }, fire);
    }
    for (const name of [...attached]) {
      if (names.has(name)) continue;
      attached.delete(name);
      await boss.offWork(name);
    }
  };

  await boss.work<SyncRequest>(QUEUES.scheduleSync, { pollingIntervalSeconds: 5 }, async (jobs) => {
    for (const job of jobs) {
      if (job.data?.projectId) {
        const result = await syncProjectSchedules(boss, db, deps, job.data.projectId);
        for (const problem of result.problems) console.error(`[schedule] ${problem}`);
      } else {
        const { failed } = await syncAllSchedules(boss, db, deps);
        for (const failure of failed) console.error(`[schedule] could not read the schedules of ${failure}`);
      }
    }
    await attach();
  });
  await boss.schedule(QUEUES.scheduleSync, RECONCILE_CRON, {}, { singletonKey: "all" });
  await boss.send(QUEUES.scheduleSync, {}, { singletonKey: "all", singletonSeconds: 60 });
  await attach();

  const timer = setInterval(() => {
    attach().catch((error: Error) => console.error(`[schedule] could not refresh schedule queues: ${error.message}`));
  }, ATTACH_INTERVAL_MS);
  return async () => {
    clearInterval(timer);
    for (const name of attached) await boss.offWork(name);
    await boss.offWork(QUEUES.scheduleSync);
  };
}
