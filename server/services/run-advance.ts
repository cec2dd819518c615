import { and, asc, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { DbTransaction } from "@/db/client";
import { jobs, runs, type JobRow, type Run } from "@/db/schema";
import { nextTransitions, runOutcome, type JobState } from "@/server/pipeline/progress";
import { announceQueuedJobs } from "@/server/queue/job-queue";
import { noticeRunEnded, type RunEnding } from "./run-notices";
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

export async function startRun(tx: DbTransaction, run: Run): Promise<Run> {
  const [started] = await tx.update(runs).set({ status: "running", startedAt: new Date() }).where(eq(runs.id, run.id)).returning();
  await advanceRun(tx, run.id);
  return started;
}

/**
 * Moves a run forward after any change to its jobs: queues jobs whose needs
 * are done, skips or cancels those that cannot run, and settles the run when
 * every job is done. Idempotent; call it in the transaction of the change.
 * `known.plan` (a run's plan never changes) and `known.run` (the run row,
 * already locked with lockedRunSelection) save reading them again.
 */
export async function advanceRun(tx: DbTransaction, runId: string, known: { plan?: StoredPlan; run?: LockedRun } = {}): Promise<void> {
  const [run]: LockedRun[] = known.run ? [known.run] : await tx.select(lockedRunSelection(!known.plan)).from(runs).where(eq(runs.id, runId)).for("update");
  if (!run) return;
  await advanceRuns(tx, [{ run, plan: known.plan ?? (run.plan as StoredPlan) }]);
}

/**
 * advanceRun for several runs the caller has locked (in id order, so two
 * callers never wait on each other crosswise): one read of their jobs and
 * one write per kind of change for all of them, which is what lets a busy
 * worker settle many jobs in one transaction.
 */
export async function advanceRuns(tx: DbTransaction, locked: Array<{ run: LockedRun; plan: StoredPlan }>): Promise<void> {
  const active = locked.filter(({ run }) => run.status !== "queued");
  if (active.length === 0) return;
  // Read after the lock: a job that settled in a transaction we waited for is seen settled.
  const rows = await tx
    .select()
    .from(jobs)
    .where(inArray(jobs.runId, active.map(({ run }) => run.id)))
    .orderBy(asc(jobs.key));
  const progress = active.map(({ run, plan }) => ({
    run,
    plan,
    states: new Map(rows.filter((r) => r.runId === run.id).map((r) => [r.key, r])),
    ctx: {
      jobs: plan.pipeline.jobs,
      cancelRequested: Boolean(run.cancelRequestedAt),
      expressionContext: { run: runContext(run), inputs: run.inputs, env: plan.pipeline.env },
    },
  }));
  for (;;) {
    const queued: JobRow[] = [];
    const ended: Array<{ row: JobRow; to: "skipped" | "cancelled"; reason: string }> = [];
    for (const { states, ctx } of progress) {
      for (const t of nextTransitions([...states.values()].map(toState), ctx)) {
        const row = states.get(t.key)!;
        if (t.to === "queued") queued.push(row);
        else ended.push({ row, to: t.to, reason: t.reason });
      }
    }
    if (queued.length === 0 && ended.length === 0) break;
    const now = new Date();
    if (queued.length > 0) {
      // Jobs that became ready together are queued with one update, and their workers woken at commit.
      await tx.update(jobs).set({ status: "queued", queuedAt: now }).where(inArray(jobs.id, queued.map((row) => row.id)));
      await announceQueuedJobs(tx, queued.map((row) => row.runsOn));
    }
    if (ended.length > 0) {
      await tx.execute(sql`
        update ${jobs} set status = v.status::job_status, reason = v.reason, finished_at = ${now.toISOString()}::timestamptz
        from json_to_recordset(${JSON.stringify(ended.map(({ row, to, reason }) => ({ id: row.id, status: to, reason })))}::json) as v(id uuid, status text, reason text)
        where ${jobs.id} = v.id`);
    }
    for (const { states } of progress) {
      for (const row of queued) if (states.get(row.key)?.id === row.id) states.set(row.key, { ...row, status: "queued", queuedAt: now });
      for (const { row, to, reason } of ended) if (states.get(row.key)?.id === row.id) states.set(row.key, { ...row, status: to, reason, finishedAt: now });
    }
  }
  const settled = progress
    .map(({ run, states, ctx }) => ({ run, outcome: runOutcome([...states.values()].map(toState), ctx) }))
    .filter(({ run, outcome }) => outcome !== "running" && run.status === "running") as Array<{ run: LockedRun; outcome: RunEnding }>;
  if (settled.length === 0) return;
  await tx.execute(sql`
    update ${runs} set status = v.status::run_status, finished_at = ${new Date().toISOString()}::timestamptz
    from json_to_recordset(${JSON.stringify(settled.map(({ run, outcome }) => ({ id: run.id, status: outcome })))}::json) as v(id uuid, status text)
    where ${runs.id} = v.id`);
  // Sent together: the transaction's connection pipelines them.
  await Promise.all(settled.map(({ run, outcome }) => noticeRunEnded(tx, run, outcome)));
  for (const { run } of settled) if (run.concurrencyGroup) await startNextInGroup(tx, run);
}

const toState = (row: JobRow): JobState => ({
  key: row.key,
  jobId: row.jobId,
  status: row.status,
  needs: row.needs,
  outputs: row.outputs,
  matrix: row.matrix as Record<string, unknown> | null,
});

async function startNextInGroup(tx: DbTransaction, finished: LockedRun) {
  const [waiting] = await tx
    .select()
    .from(runs)
    .where(and(eq(runs.projectId, finished.projectId), eq(runs.concurrencyGroup, finished.concurrencyGroup!), eq(runs.status, "queued")))
    .orderBy(asc(runs.number))
    .limit(1)
    .for("update", { skipLocked: true });
  if (waiting) await startRun(tx, waiting);
}
