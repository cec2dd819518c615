import { and, asc, eq, getTableColumns, inArray, lt, or, isNull, sql } from "drizzle-orm";
import type { Database, DbTransaction } from "@/db/client";
import { jobs, runs, secrets, workerHeartbeats, type JobRow, type Run } from "@/db/schema";
import { announceQueuedJobs } from "@/server/queue/job-queue";
import { advanceRun, advanceRuns, lockedRunSelection, type LockedRun } from "./run-advance";
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

export type Claimant = {
  workerId: string;
  /** The pools it serves: jobs whose `runs-on` labels it carries all of. */
  labels: string[];
  executor: { image: string; plain: string };
};

/**
 * Takes up to `limit` queued jobs for this worker, oldest first, in one
 * statement: it picks them with FOR UPDATE SKIP LOCKED (two workers never
 * take the same job, and neither waits for the other), marks them running,
 * reads each one's run, needs and whether secrets exist, and notifies
 * `slipway_runs`. Each round trip here is on the way to a job's first step.
 * The executor is recorded with it: `executor.image` for a job whose
 * pipeline job names an image, else `executor.plain`.
 */
export async function claimQueuedJobs(db: Database, { workerId, labels, executor }: Claimant, limit: number): Promise<ClaimedJob[]> {
  const rows = await claimStatement(db).execute({ workerId, labels, limit, image: executor.image, plain: executor.plain, startedAt: new Date().toISOString() });
  return rows.map((row) => ({ job: row.job as JobRow, run: row.run, needs: row.needs, hasSecrets: row.hasSecrets }));
}

const claimStatements = new WeakMap<Database, ReturnType<typeof prepareClaim>>();

/** Prepared once per pool: the claim is on every job's way to its start, and a prepared statement is one round trip, not two. */
function claimStatement(db: Database) {
  let statement = claimStatements.get(db);
  if (!statement) claimStatements.set(db, (statement = prepareClaim(db)));
  return statement;
}

function prepareClaim(db: Database) {
  // As a JavaScript truth test would see it: missing, null and "" name no image.
  const image = sql`(select nullif(r.plan #>> array['pipeline', 'jobs', ${jobs.jobId}, 'image'], '') from ${runs} r where r.id = ${jobs.runId})`;
  const picked = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.status, "queued"), sql`${jobs.runsOn} <@ ${sql.placeholder("labels")}::text[]`))
    .orderBy(asc(jobs.queuedAt))
    .limit(sql.placeholder("limit"))
    .for("update", { skipLocked: true });
  const claimed = db.$with("claimed").as(
    db
      .update(jobs)
      .set({
        status: "running",
        workerId: sql`${sql.placeholder("workerId")}::text`,
        startedAt: sql`${sql.placeholder("startedAt")}::timestamptz`,
        executor: sql`case when ${image} is not null then ${sql.placeholder("image")}::text else ${sql.placeholder("plain")}::text end`,
      })
      .where(inArray(jobs.id, picked))
      .returning(),
  );
  const job = Object.fromEntries(jobColumnNames.map((name) => [name, claimed[name]])) as { [K in keyof JobRow]: (typeof claimed)[K] };
  return db
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
    .innerJoin(runs, eq(runs.id, claimed.runId))
    .orderBy(asc(claimed.queuedAt))
    .prepare("slipway_claim_queued_jobs");
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
      const [outcome] = await settleJobs(tx, [{ jobId, attempt, result, plan }]);
      return outcome;
    }
    const [job] = await tx.select().from(jobs).where(running).for("update");
    if (!job) return "stale";
    const [run] = await tx.select().from(runs).where(eq(runs.id, job.runId));
    if (job.attempt < job.maxAttempts && !run.cancelRequestedAt) {
      await requeue(tx, job, run, `Attempt ${job.attempt} failed: ${result.reason ?? "the job failed"}; retrying.`);
      return "retrying";
    }
    await tx.update(jobs).set(settled).where(eq(jobs.id, jobId));
    await advanceRun(tx, job.runId, { plan });
    return "finished";
  });
}

export type Settling = { jobId: string; attempt: number; result: JobResult; plan?: StoredPlan };

/**
 * finishJob for several jobs whose results need no retry decision
 * (succeeded, cancelled, or failed on their last attempt), in one
 * transaction: a busy worker's jobs that finished while its previous batch
 * was being written. "stale" where the job was no longer this worker's.
 */
export async function finishJobs(db: Database, batch: Settling[]): Promise<Array<"finished" | "stale">> {
  return db.transaction((tx) => settleJobs(tx, batch));
}

async function settleJobs(tx: DbTransaction, batch: Settling[]): Promise<Array<"finished" | "stale">> {
  const rows = batch.map(({ jobId, attempt, result }) => ({
    id: jobId,
    attempt,
    status: result.status,
    exit_code: result.exitCode ?? null,
    reason: result.reason ?? null,
    outputs: result.outputs ?? {},
  }));
  const settled = await tx.execute<{ id: string; run_id: string }>(sql`
    update ${jobs} set status = v.status::job_status, exit_code = v.exit_code, reason = v.reason, outputs = v.outputs, finished_at = ${new Date().toISOString()}::timestamptz
    from json_to_recordset(${JSON.stringify(rows)}::json) as v(id uuid, attempt int, status text, exit_code int, reason text, outputs jsonb)
    where ${jobs.id} = v.id and ${jobs.attempt} = v.attempt and ${jobs.status} = 'running'
    returning ${jobs.id}, ${jobs.runId}`);
  const mine = new Set(settled.map((row) => row.id));
  const runIds = [...new Set(settled.map((row) => row.run_id))];
  if (runIds.length > 0) {
    const plans = new Map(batch.filter((s) => s.plan).map((s) => [settled.find((row) => row.id === s.jobId)?.run_id, s.plan!]));
    // In id order, as every batch locks them: two workers' batches never wait on each other crosswise.
    const locked = await tx
      .select(lockedRunSelection(runIds.some((id) => !plans.has(id))))
      .from(runs)
      .where(inArray(runs.id, runIds))
      .orderBy(asc(runs.id))
      .for("update");
    await advanceRuns(tx, locked.map((run: LockedRun) => ({ run, plan: plans.get(run.id) ?? (run.plan as StoredPlan) })));
  }
  return batch.map((s) => (mine.has(s.jobId) ? "finished" : "stale"));
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
    await requeue(tx, job, run, reason);
    return true;
  });
}

async function requeue(tx: DbTransaction, job: JobRow, run: Run, reason: string) {
  const [queued] = await tx
    .update(jobs)
    .set({ status: "queued", attempt: job.attempt + 1, reason, workerId: null, queuedAt: new Date(), startedAt: null })
    .where(eq(jobs.id, job.id))
    .returning();
  await announceQueuedJobs(tx, [queued.runsOn]);
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
        await requeue(tx, row, run, `${reason} Retrying.`);
      } else {
        await tx.update(jobs).set({ status: "failed", reason, finishedAt: new Date() }).where(eq(jobs.id, row.id));
        await advanceRun(tx, row.runId);
      }
      return true;
    });
    if (outcome) recovered++;
  }
  return recovered;
}
