import { and, asc, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { Database, DbTransaction } from "@/db/client";
import { jobs, runs, type JobRow, type Run } from "@/db/schema";
import { nextTransitions, runOutcome, type JobState } from "@/server/pipeline/progress";
import { enqueueJobs } from "@/server/queue/job-queue";
import { noticeRunEnded } from "./run-notices";
import { runContext, type StoredPlan } from "./run-plan";

export const DEFAULT_TIMEOUT_MINUTES = 360;

/** A run row as advanceRun reads it under its lock; without the plan when the caller has that already. */
export type LockedRun = Omit<Run, "plan"> & { plan?: unknown };

const { plan: _plan, ...runColumnsWithoutPlan } = getTableColumns(runs);

/**
 * What to select, with FOR UPDATE, to lock a run for advanceRun. It also
 * queues the run's change notice, which PostgreSQL sends at commit whatever
 * else the transaction does; a run still waiting for its concurrency group is
 * not news. A caller that locks the run in a statement of its own (finishing
 * a job does) passes the row on and saves advanceRun the round trip.
 */
export function lockedRunSelection(withPlan: boolean) {
  const notify = sql`case when ${runs.status} <> 'queued' then pg_notify('slipway_runs', ${runs.id}::text) end`;
  return withPlan ? { ...getTableColumns(runs), notify } : { ...runColumnsWithoutPlan, notify };
}

export async function startRun(db: Database, tx: DbTransaction, run: Run): Promise<Run> {
  const [started] = await tx.update(runs).set({ status: "running", startedAt: new Date() }).where(eq(runs.id, run.id)).returning();
  await advanceRun(db, tx, run.id);
  return started;
}

/**
 * Moves a run forward after any change to its jobs: queues jobs whose needs
 * are done, skips or cancels those that cannot run, and settles the run when
 * every job is done. Idempotent; call it in the transaction of the change.
 * `known.plan` (a run's plan never changes) and `known.run` (the run row,
 * already locked with lockedRunSelection) save reading them again.
 */
export async function advanceRun(db: Database, tx: DbTransaction, runId: string, known: { plan?: StoredPlan; run?: LockedRun } = {}): Promise<void> {
  const [run]: LockedRun[] = known.run ? [known.run] : await tx.select(lockedRunSelection(!known.plan)).from(runs).where(eq(runs.id, runId)).for("update");
  if (!run || run.status === "queued") return;
  const plan = known.plan ?? (run.plan as StoredPlan);
  // Read after the lock: a job that settled in a transaction we waited for is seen settled.
  const rows = await tx.select().from(jobs).where(eq(jobs.runId, runId)).orderBy(asc(jobs.key));
  const states = new Map(rows.map((r) => [r.key, r]));
  const ctx = {
    jobs: plan.pipeline.jobs,
    cancelRequested: Boolean(run.cancelRequestedAt),
    expressionContext: { run: runContext(run), inputs: run.inputs, env: plan.pipeline.env },
  };
  for (;;) {
    const transitions = nextTransitions([...states.values()].map(toState), ctx);
    if (transitions.length === 0) break;
    // Jobs that became ready together are queued with one update and one pg-boss insert.
    const ready = transitions.filter((t) => t.to === "queued").map((t) => states.get(t.key)!.id);
    if (ready.length > 0) {
      const queued = await tx.update(jobs).set({ status: "queued", queuedAt: new Date() }).where(inArray(jobs.id, ready)).returning();
      const timeout = (row: JobRow) => plan.pipeline.jobs[row.jobId].timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES;
      await enqueueJobs(db, tx, queued.map((row) => ({ jobId: row.id, runId, attempt: row.attempt, labels: row.runsOn, timeoutMinutes: timeout(row) })));
      for (const row of queued) states.set(row.key, row);
    }
    for (const t of transitions) {
      if (t.to === "queued") continue;
      const [done] = await tx
        .update(jobs)
        .set({ status: t.to, reason: t.reason, finishedAt: new Date() })
        .where(eq(jobs.id, states.get(t.key)!.id))
        .returning();
      states.set(t.key, done);
    }
  }
  const outcome = runOutcome([...states.values()].map(toState), ctx);
  if (outcome !== "running" && run.status === "running") {
    await tx.update(runs).set({ status: outcome, finishedAt: new Date() }).where(eq(runs.id, runId));
    await noticeRunEnded(tx, run, outcome);
    if (run.concurrencyGroup) await startNextInGroup(db, tx, run);
  }
}

const toState = (row: JobRow): JobState => ({
  key: row.key,
  jobId: row.jobId,
  status: row.status,
  needs: row.needs,
  outputs: row.outputs,
  matrix: row.matrix as Record<string, unknown> | null,
});

async function startNextInGroup(db: Database, tx: DbTransaction, finished: LockedRun) {
  const [waiting] = await tx
    .select()
    .from(runs)
    .where(and(eq(runs.projectId, finished.projectId), eq(runs.concurrencyGroup, finished.concurrencyGroup!), eq(runs.status, "queued")))
    .orderBy(asc(runs.number))
    .limit(1)
    .for("update", { skipLocked: true });
  if (waiting) await startRun(db, tx, waiting);
}
