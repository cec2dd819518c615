import type PgBoss from "pg-boss";
import type { Database } from "@/db/client";
import { QUEUES } from "@/server/queue/boss";
import type { TriggerDeps } from "@/server/services/pipeline-source";
import { listPollingProjects, pollProject } from "@/server/services/polling";
import { requestScheduleSync } from "@/server/services/schedules";

/** How often each worker looks for projects due a poll. */
export const POLL_TICK_MS = 5_000;
/** The shortest interval honoured, whatever a project asks for. */
export const MIN_POLL_SECONDS = 5;
/** Polls that may run at once in one worker, so one slow repository does not hold up the others. */
const POLL_CONCURRENCY = 2;

type PollJob = { projectId: string };

/**
 * Every tick, each worker offers a poll job per polling project; pg-boss
 * throttling (one job per project per interval slot) makes that at most one
 * poll per interval across all workers, and any one worker takes it.
 */
export async function startPolling(boss: PgBoss, db: Database, deps: TriggerDeps, { tickMs = POLL_TICK_MS } = {}): Promise<() => Promise<void>> {
  const handle = async (jobs: PgBoss.Job<PollJob>[]) => {
    for (const job of jobs) {
      const result = await pollProject(db, deps, job.data.projectId);
      for (const run of result.started) console.log(`[poll] ${job.data.projectId}: run #${run.number} started for ${run.branch}`);
      if (result.defaultBranchMoved) await requestScheduleSync(db, job.data.projectId);
    }
  };
  for (let i = 0; i < POLL_CONCURRENCY; i++) await boss.work<PollJob>(QUEUES.pollProject, { pollingIntervalSeconds: 2 }, handle);

  let ticking = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      for (const { projectId, intervalSeconds } of await listPollingProjects(db)) {
        const seconds = Math.max(MIN_POLL_SECONDS, intervalSeconds);
        // A failed poll is simply tried again at the next slot: no retries that could pile up.
        await boss.sendThrottled(QUEUES.pollProject, { projectId } satisfies PollJob, { retryLimit: 0, expireInSeconds: 300 }, seconds, projectId);
      }
    } catch (error) {
      console.error(`[poll] could not offer poll jobs: ${(error as Error).message}`);
    } finally {
      ticking = false;
    }
  };
  await tick();
  const timer = setInterval(() => void tick(), tickMs);
  return async () => {
    clearInterval(timer);
    await boss.offWork(QUEUES.pollProject);
  };
}
