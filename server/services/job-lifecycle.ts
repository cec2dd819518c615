import { and, eq, getTableColumns, inArray, lt, or, isNull, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, runs, secrets, workerHeartbeats, type JobRow, type Run } from "@/db/schema";
import { enqueueJob } from "@/server/queue/job-queue";
import { DEFAULT_TIMEOUT_MINUTES, advanceRun, lockedRunSelection } from "./run-advance";
import type { StoredPlan } from "./run-plan";

/** What a claimed job needs to start, read in the claim's own statement. */
export type ClaimedJob = {
  job: JobRow;
  run: Run;
  /** The jobs it needs (for `needs.*`), as they finished. */
  needs: Array<{ jobId: string; status: JobRow["status"]; outputs: Record<string, string> }>;
  /** Whether the project has any project-wide secret: without one, reading secrets (a transaction) is skipped. */
  hasSecrets: boolean;
};

const jobColumnNames = Object.keys(getTableColumns(jobs)) as Array<keyof typeof jobs.$inferSelect>;

/**
 * Takes a queued job for this worker. Only one worker can win: the update
 * matches a queued job of the same attempt, so a job delivered twice (or a
 * stale delivery after a re-run) runs once. One statement claims the job,
 * reads its run, its needs and whether secrets exist, and notifies
 * `slipway_runs`: each round trip here is on the way to the job's first step.
 * The executor is recorded with it: `executor.image` for a job whose
 * pipeline job names an image, else `executor.plain`.
 */
export async function claimJob(
  db: Database,
  { jobId, attempt, workerId, executor }: { jobId: string; attempt: number; workerId: string; executor: { image: string; plain: string } },
): Promise<ClaimedJob | null> {
  // As a JavaScript truth test would see it: missing, null and "" name no image.
  const image = sql`(select nullif(r.plan #>> array['pipeline', 'jobs', ${jobs.jobId}, 'image'], '') from ${runs} r where r.id = ${jobs.runId})`;
  const claimed = db.$with("claimed").as(
    db
      .update(jobs)
      .set({ status: "running", workerId, startedAt: new Date(), executor: sql`case when ${image} is not null then ${executor.image} else ${executor.plain} end` })
      .where(and(eq(jobs.id, jobId), eq(jobs.status, "queued"), eq(jobs.attempt, attempt)))
      .returning(),
  );
  const job = Object.fromEntries(jobColumnNames.map((name) => [name, claimed[name]])) as { [K in keyof JobRow]: (typeof claimed)[K] };
  const [row] = await db
    .with(claimed)
    .select({
      job,
      run: runs,
      // Other rows of jobs as they were before the claim: the needs finished long before.
      needs: sql<ClaimedJob["needs"]>`(
        select coalesce(json_agg(json_build_object('jobId', n.job_id, 'status', n.status, 'outputs', n.outputs)), '[]'::json)
        from ${jobs} n where n.run_id = ${claimed.runId} and n.key = any(${claimed.needs}))`,
      hasSecrets: sql<boolean>`exists(select 1 from ${secrets} s where s.project_id = ${runs.projectId} and s.environment_id is null)`,
      notified: sql`pg_notify('slipway_runs', ${claimed.runId}::text)`,
    })
    .from(claimed)
    .innerJoin(runs, eq(runs.id, claimed.runId));
  if (!row) return null;
  return { job: row.job as JobRow, run: row.run, needs: row.needs, hasSecrets: row.hasSecrets };
}

export type JobResult = {
  status: "succeeded" | "failed" | "cancelled";
  exitCode?: number | null;
  reason?: string | null;
  outputs?: Record<string, string>;
};

/**
 * Records a job's result and moves its run on. A failed job with attempts
 * left goes back to the queue instead (its `retries`). `plan` is the run's
 * plan when the caller has it already (it never changes for a run), so it is
 * not read and parsed again.
 */
export async function finishJob(
  db: Database,
  { jobId, attempt }: { jobId: string; attempt: number },
  result: JobResult,
  { plan }: { plan?: StoredPlan } = {},
): Promise<"finished" | "retrying" | "stale"> {
  return db.transaction(async (tx) => {
    const settled = {
      status: result.status,
      exitCode: result.exitCode ?? null,
      reason: result.reason ?? null,
      outputs: result.outputs ?? {},
      finishedAt: new Date(),
    };
    const running = and(eq(jobs.id, jobId), eq(jobs.attempt, attempt), eq(jobs.status, "running"));
    if (result.status !== "failed") {
      // Nothing to decide: one statement settles the job if it is still ours and locks its run for advanceRun.
      const done = tx.$with("done").as(tx.update(jobs).set(settled).where(running).returning({ runId: jobs.runId }));
      const [run] = await tx
        .with(done)
        .select(lockedRunSelection(!plan))
        .from(runs)
        .where(inArray(runs.id, tx.select({ runId: done.runId }).from(done)))
        .for("update");
      if (!run) return "stale";
      await advanceRun(db, tx, run.id, { plan, run });
      return "finished";
    }
    const [job] = await tx.select().from(jobs).where(running).for("update");
    if (!job) return "stale";
    const [run] = await tx.select().from(runs).where(eq(runs.id, job.runId));
    if (job.attempt < job.maxAttempts && !run.cancelRequestedAt) {
      await requeue(db, tx, job, run, `Attempt ${job.attempt} failed: ${result.reason ?? "the job failed"}; retrying.`);
      return "retrying";
    }
    await tx.update(jobs).set(settled).where(eq(jobs.id, jobId));
    await advanceRun(db, tx, job.runId, { plan });
    return "finished";
  });
}

/**
 * Puts a running job back in the queue (its worker stopped; it did not fail), as its next
 * attempt: the next worker to take it carries on where it was, as a deploy job following its
 * deployment does.
 */
export async function handBackJob(db: Database, { jobId, attempt }: { jobId: string; attempt: number }, reason: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.attempt, attempt), eq(jobs.status, "running")))
      .for("update");
    if (!job) return false;
    const [run] = await tx.select().from(runs).where(eq(runs.id, job.runId));
    await requeue(db, tx, job, run, reason);
    return true;
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
