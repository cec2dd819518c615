import { and, asc, desc, eq, inArray, lt, ne, sql } from "drizzle-orm";
import type { Database, DbTransaction } from "@/db/client";
import { jobs, runs, type JobRow, type Run, type RunEvent } from "@/db/schema";
import { interpolate, ExpressionError, ExpressionSyntaxError } from "@/server/pipeline";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { ConflictError, NotFoundError } from "./errors";
import { advanceRun, startRun } from "./run-advance";
import { noticeRunEnded } from "./run-notices";
import { planRun, runContext, type StoredPlan } from "./run-plan";

export type StartRunInput = {
  projectId: string;
  trigger: "push" | "pull_request" | "tag" | "manual" | "schedule" | "api" | "poll";
  triggeredBy: string | null;
  event: RunEvent;
  inputs?: Record<string, string | number | boolean>;
  secretsAllowed?: boolean;
  pipeline: { yaml: string; revisionId?: string | null };
};

// Moving runs forward lives in run-advance.ts; these are imported from here too.
export { advanceRun, DEFAULT_TIMEOUT_MINUTES } from "./run-advance";

/**
 * Starts a run: plans the pipeline, writes the run and its jobs and enqueues
 * the jobs that need nothing, all in one transaction. A run whose concurrency
 * group is busy waits (or cancels the busy one, with cancel-in-progress).
 */
export async function createRun(db: Database, actor: Actor, input: StartRunInput): Promise<Run> {
  const inputs = input.inputs ?? {};
  const plan = planRun(input.pipeline.yaml, input.trigger, input.event, inputs);
  return db.transaction(async (tx) => {
    // One run at a time per project gets its number and its place in a concurrency group.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`slipway:runs:${input.projectId}`}))`);
    const [{ next }] = await tx
      .select({ next: sql<number>`coalesce(max(${runs.number}), 0)::int + 1` })
      .from(runs)
      .where(eq(runs.projectId, input.projectId));
    const [run] = await tx
      .insert(runs)
      .values({
        projectId: input.projectId,
        number: next,
        trigger: input.trigger,
        triggeredBy: input.triggeredBy,
        event: input.event,
        inputs,
        commitSha: input.event.sha,
        branch: input.event.branch ?? null,
        tag: input.event.tag ?? null,
        pipelineYaml: input.pipeline.yaml,
        pipelineRevisionId: input.pipeline.revisionId ?? null,
        plan,
        secretsAllowed: input.secretsAllowed ?? true,
      })
      .returning();
    await tx.insert(jobs).values(
      plan.jobs.map((planned) => {
        const job = plan.pipeline.jobs[planned.jobId];
        return {
          runId: run.id,
          key: planned.key,
          jobId: planned.jobId,
          name: planned.name,
          needs: planned.needs,
          matrix: planned.matrix ?? null,
          runsOn: job.runsOn,
          maxAttempts: job.retries + 1,
        };
      }),
    );
    const group = concurrencyGroup(plan, run, inputs);
    const [withGroup] = group ? await tx.update(runs).set({ concurrencyGroup: group }).where(eq(runs.id, run.id)).returning() : [run];
    await recordAudit(tx, actor, {
      action: "run.create",
      objectType: "run",
      objectId: run.id,
      projectId: input.projectId,
      after: { number: run.number, trigger: input.trigger, sha: input.event.sha, branch: run.branch, tag: run.tag, inputs },
    });
    if (group && (await yieldToGroup(db, tx, withGroup, plan, actor))) return withGroup;
    return startRun(tx, withGroup);
  });
}

function concurrencyGroup(plan: StoredPlan, run: Run, inputs: Record<string, unknown>): string | null {
  const concurrency = plan.pipeline.concurrency;
  if (!concurrency) return null;
  try {
    return interpolate(concurrency.group, { run: runContext(run), inputs });
  } catch (error) {
    if (error instanceof ExpressionError || error instanceof ExpressionSyntaxError) return concurrency.group;
    throw error;
  }
}

/** True when the run must wait for its group; with cancel-in-progress it cancels the others instead. */
async function yieldToGroup(db: Database, tx: DbTransaction, run: Run, plan: StoredPlan, actor: Actor): Promise<boolean> {
  const active = await tx
    .select()
    .from(runs)
    .where(
      and(
        eq(runs.projectId, run.projectId),
        eq(runs.concurrencyGroup, run.concurrencyGroup!),
        inArray(runs.status, ["queued", "running"]),
        ne(runs.id, run.id),
      ),
    );
  if (active.length === 0) return false;
  if (!plan.pipeline.concurrency?.cancelInProgress) return true;
  for (const other of active) {
    await requestCancel(db, tx, other, actor, `Cancelled by run #${run.number} in concurrency group "${run.concurrencyGroup}".`);
  }
  return false;
}

async function requestCancel(db: Database, tx: DbTransaction, run: Run, actor: Actor, reason: string) {
  await tx.update(runs).set({ cancelRequestedAt: new Date() }).where(eq(runs.id, run.id));
  await tx
    .update(jobs)
    .set({ status: "cancelled", reason, finishedAt: new Date() })
    .where(and(eq(jobs.runId, run.id), inArray(jobs.status, ["pending", "queued"])));
  if (run.status === "queued") {
    await tx.update(runs).set({ status: "cancelled", finishedAt: new Date() }).where(eq(runs.id, run.id));
    await noticeRunEnded(tx, run, "cancelled");
  }
  await recordAudit(tx, actor, { action: "run.cancel", objectType: "run", objectId: run.id, projectId: run.projectId, after: { reason } });
  // Workers stop the run's running jobs when they hear this; the jobs then settle the run.
  await tx.execute(sql`select pg_notify('slipway_cancel', ${run.id})`);
  await advanceRun(tx, run.id);
}

export async function cancelRun(db: Database, actor: Actor, { projectId, runId }: { projectId: string; runId: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const run = await lockRun(tx, projectId, runId);
    if (run.status !== "queued" && run.status !== "running") throw new ConflictError(`Run #${run.number} has already finished.`);
    await requestCancel(db, tx, run, actor, `Cancelled by ${actor.label}.`);
  });
}

/**
 * Runs the chosen jobs again, with every job below them, in the same run:
 * `failed` picks the jobs that failed or were cancelled, `job` one job.
 */
export async function rerun(
  db: Database,
  actor: Actor,
  { projectId, runId, only }: { projectId: string; runId: string; only: { failed: true } | { jobKey: string } },
): Promise<void> {
  await db.transaction(async (tx) => {
    const run = await lockRun(tx, projectId, runId);
    if (run.status === "queued" || run.status === "running") throw new ConflictError(`Run #${run.number} is still running; wait for it or cancel it first.`);
    const rows = await tx.select().from(jobs).where(eq(jobs.runId, runId));
    const chosen = "failed" in only ? rows.filter((r) => r.status === "failed" || r.status === "cancelled") : rows.filter((r) => r.key === only.jobKey);
    if (chosen.length === 0) throw new ConflictError("failed" in only ? "No job of this run failed." : `This run has no job "${only.jobKey}".`);
    const again = withDependents(rows, new Set(chosen.map((r) => r.key)));
    for (const row of rows.filter((r) => again.has(r.key))) {
      await tx
        .update(jobs)
        .set({ status: "pending", attempt: row.attempt + 1, reason: null, exitCode: null, workerId: null, queuedAt: null, startedAt: null, finishedAt: null })
        .where(eq(jobs.id, row.id));
    }
    await tx.update(runs).set({ status: "running", cancelRequestedAt: null, finishedAt: null }).where(eq(runs.id, runId));
    await recordAudit(tx, actor, {
      action: "failed" in only ? "run.rerun_failed" : "run.rerun_job",
      objectType: "run",
      objectId: runId,
      projectId,
      after: { jobs: [...again] },
    });
    await advanceRun(tx, runId);
  });
}

function withDependents(rows: JobRow[], keys: Set<string>): Set<string> {
  let grew = true;
  while (grew) {
    grew = false;
    for (const row of rows) {
      if (!keys.has(row.key) && row.needs.some((n) => keys.has(n))) {
        keys.add(row.key);
        grew = true;
      }
    }
  }
  return keys;
}

async function lockRun(tx: DbTransaction, projectId: string, runId: string): Promise<Run> {
  const [run] = await tx
    .select()
    .from(runs)
    .where(and(eq(runs.id, runId), eq(runs.projectId, projectId)))
    .for("update");
  if (!run) throw new NotFoundError("This run does not exist in this project.");
  return run;
}

export async function listRuns(db: Database, projectId: string, { before, limit = 50 }: { before?: number; limit?: number } = {}) {
  return db
    .select({
      id: runs.id,
      number: runs.number,
      status: runs.status,
      trigger: runs.trigger,
      triggeredBy: runs.triggeredBy,
      commitSha: runs.commitSha,
      branch: runs.branch,
      tag: runs.tag,
      message: sql<string | null>`${runs.event}->>'message'`,
      createdAt: runs.createdAt,
      startedAt: runs.startedAt,
      finishedAt: runs.finishedAt,
    })
    .from(runs)
    .where(and(eq(runs.projectId, projectId), before ? lt(runs.number, before) : undefined))
    .orderBy(desc(runs.number))
    .limit(limit);
}

export async function getRun(db: Database, projectId: string, runId: string) {
  const run = await db.query.runs.findFirst({ where: and(eq(runs.id, runId), eq(runs.projectId, projectId)) });
  if (!run) throw new NotFoundError("This run does not exist in this project.");
  const jobRows = await db.select().from(jobs).where(eq(jobs.runId, runId)).orderBy(asc(jobs.queuedAt), asc(jobs.key));
  const { pipelineYaml: _yaml, ...rest } = run;
  return { ...rest, jobs: jobRows };
}
