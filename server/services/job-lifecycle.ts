import { and, eq, lt, or, isNull, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, runs, workerHeartbeats, type JobRow, type Run } from "@/db/schema";
import { enqueueJob } from "@/server/queue/job-queue";
import { DEFAULT_TIMEOUT_MINUTES, advanceRun } from "./runs";
import type { StoredPlan } from "./run-plan";

/**
 * Takes a queued job for this worker. Only one worker can win: the update
 * matches a queued job of the same attempt, so a job delivered twice (or a
 * stale delivery after a re-run) runs once.
 */
export async function claimJob(
  db: Database,
  { jobId, attempt, workerId }: { jobId: string; attempt: number; workerId: string },
): Promise<{ job: JobRow; run: Run } | null> {
  const [job] = await db
    .update(jobs)
    .set({ status: "running", workerId, startedAt: new Date() })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, "queued"), eq(jobs.attempt, attempt)))
    .returning();
  if (!job) return null;
  const [run] = await db.select().from(runs).where(eq(runs.id, job.runId));
  await db.execute(sql`select pg_notify('slipway_runs', ${job.runId})`);
  return { job, run };
}

export type JobResult = {
  status: "succeeded" | "failed" | "cancelled";
  exitCode?: number | null;
  reason?: string | null;
  outputs?: Record<string, string>;
};

/**
 * Records a job's result and moves its run on. A failed job with attempts
 * left goes back to the queue instead (its `retries`).
 */
export async function finishJob(db: Database, { jobId, attempt }: { jobId: string; attempt: number }, result: JobResult): Promise<"finished" | "retrying" | "stale"> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.attempt, attempt), eq(jobs.status, "running")))
      .for("update");
    if (!job) return "stale";
    const [run] = await tx.select().from(runs).where(eq(runs.id, job.runId));
    if (result.status === "failed" && job.attempt < job.maxAttempts && !run.cancelRequestedAt) {
      await requeue(db, tx, job, run, `Attempt ${job.attempt} failed: ${result.reason ?? "the job failed"}; retrying.`);
      return "retrying";
    }
    await tx
      .update(jobs)
      .set({
        status: result.status,
        exitCode: result.exitCode ?? null,
        reason: result.reason ?? null,
        outputs: result.outputs ?? {},
        finishedAt: new Date(),
      })
      .where(eq(jobs.id, jobId));
    await advanceRun(db, tx, job.runId);
    return "finished";
  });
}

async function requeue(db: Database, tx: Parameters<Parameters<Database["transaction"]>[0]>[0], job: JobRow, run: Run, reason: string) {
  const [queued] = await tx
    .update(jobs)
    .set({ status: "queued", attempt: job.attempt + 1, reason, workerId: null, queuedAt: new Date(), startedAt: null })
    .where(eq(jobs.id, job.id))
    .returning();
  const spec = (run.plan as StoredPlan).pipeline.jobs[job.jobId];
  await enqueueJob(db, tx, {
    jobId: job.id,
    runId: job.runId,
    attempt: queued.attempt,
    labels: job.runsOn,
    timeoutMinutes: spec?.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES,
  });
  await tx.execute(sql`select pg_notify('slipway_runs', ${job.runId})`);
}

/**
 * Jobs whose worker stopped beating (killed, machine gone) are retried when
 * attempts remain, else failed with the reason, so no run hangs.
 */
export async function recoverLostJobs(db: Database, { staleAfterMs }: { staleAfterMs: number }): Promise<number> {
  const cutoff = new Date(Date.now() - staleAfterMs);
  const lost = await db
    .select({ id: jobs.id, attempt: jobs.attempt, workerId: jobs.workerId })
    .from(jobs)
    .leftJoin(workerHeartbeats, eq(workerHeartbeats.workerId, jobs.workerId))
    .where(and(eq(jobs.status, "running"), lt(jobs.startedAt, cutoff), or(isNull(workerHeartbeats.workerId), lt(workerHeartbeats.lastBeatAt, cutoff))));
  let recovered = 0;
  for (const job of lost) {
    const outcome = await db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(jobs)
        .where(and(eq(jobs.id, job.id), eq(jobs.attempt, job.attempt), eq(jobs.status, "running")))
        .for("update", { skipLocked: true });
      if (!row) return false;
      const [run] = await tx.select().from(runs).where(eq(runs.id, row.runId));
      const reason = `The worker running this job (${row.workerId}) stopped responding.`;
      if (row.attempt < row.maxAttempts && !run.cancelRequestedAt) {
        await requeue(db, tx, row, run, `${reason} Retrying.`);
      } else {
        await tx.update(jobs).set({ status: "failed", reason, finishedAt: new Date() }).where(eq(jobs.id, row.id));
        await advanceRun(db, tx, row.runId);
      }
      return true;
    });
    if (outcome) recovered++;
  }
  return recovered;
}
