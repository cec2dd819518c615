import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type PgBoss from "pg-boss";
import { rawTransactionClient, type Database, type DbTransaction, type Tx } from "@/db/client";
import {
  ACTIVE_DEPLOYMENT_PHASES,
  approvalDecisions,
  approvalRequests,
  deploymentEvents,
  deploymentGates,
  deployments,
  environments,
  governanceOverrides,
  jobs,
  releases,
  runs,
  type ApprovalRequest,
  type DeploymentRow,
  type Environment,
  type GovernanceOverride,
  type Release,
} from "@/db/schema";
import { describeHolds, judge, nextRecheck, type Decision, type DeploymentKind, type JudgeInput, type Verdict } from "@/server/governance";
import { bossDb, ensureQueues } from "@/server/queue/boss";
import { senderFor } from "@/server/queue/boss";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { DEPLOYMENT_CHANNEL, startNextQueued } from "./deploy-driver";
import { ConflictError } from "./errors";
import { listFreezeWindows, rulesById, rulesInForce, toFreezeWindow, type RulesInForce } from "./governance-rules";
import { eligibleApprovers } from "./approval-recipients";
import { emailNotice } from "./email";
import { emitNotification, type Notice } from "./notifications";
import { currentRelease } from "./releases";

/**
 * The gate every deployment passes: requestDeployment (deployments.ts) calls `gateDeployment`
 * right after inserting the queued row, so pipeline deploy jobs, promotions, manual deploys,
 * rollbacks and the API all meet the environment's rules in one place. A refusal throws (the
 * request is not recorded); a hold keeps the deployment queued with its reason and a
 * `deployment_gates` row, and `reconsider` starts it when the hold clears: after a decision,
 * an override, at the freeze's end or the timer's (a delayed pg-boss message), and in the sweep.
 */

export const GOVERNANCE_QUEUE = "governance";
/** NOTIFY channel: an approval request changed (made, decided, expired); the payload is its id. */
export const APPROVALS_CHANNEL = "slipway_approvals";
export type GovernanceMessage = { deploymentId: string };
export const WITHDRAWN = "Every deployment it held ended before a decision.";

/** What a release is bound by: the artifact it deploys and the pipeline revision that made it. */
export function bindingOf(release: Release): { artifactDigest: string | null; pipelineRevisionId: string | null } {
  return { artifactDigest: release.imageDigest ?? release.artifactDigest ?? release.image ?? null, pipelineRevisionId: release.pipelineRevisionId ?? null };
}

/** Why an approval request no longer matches its release, or null. */
export function staleness(request: Pick<ApprovalRequest, "artifactDigest" | "pipelineRevisionId">, release: Release): string | null {
  const now = bindingOf(release);
  if (now.artifactDigest !== request.artifactDigest) return `The artifact digest changed after the request (from ${request.artifactDigest ?? "none"} to ${now.artifactDigest ?? "none"}), so its approvals no longer count.`;
  if (now.pipelineRevisionId !== request.pipelineRevisionId) return "The pipeline revision changed after the request, so its approvals no longer count.";
  return null;
}

type Facts = Omit<JudgeInput, "rules" | "decisions">;

/** Everything the pure judge needs about this deployment, read in the caller's transaction. */
export async function gatherFacts(tx: Tx, env: Environment, release: Release, deployment: { id: string; kind: DeploymentKind; createdAt: Date }, now: Date): Promise<Facts> {
  const [run] = release.runId ? await tx.select({ branch: runs.branch, tag: runs.tag }).from(runs).where(eq(runs.id, release.runId)) : [];
  const runJobs = release.runId ? await tx.select({ jobId: jobs.jobId, key: jobs.key, name: jobs.name, status: jobs.status }).from(jobs).where(eq(jobs.runId, release.runId)) : null;
  const [previous] = await tx
    .select()
    .from(environments)
    .where(and(eq(environments.projectId, env.projectId), lt(environments.position, env.position)))
    .orderBy(desc(environments.position))
    .limit(1);
  const [succeeded] = previous
    ? await tx
        .select({ id: deployments.id })
        .from(deployments)
        .where(and(eq(deployments.environmentId, previous.id), eq(deployments.releaseId, release.id), eq(deployments.phase, "succeeded")))
        .limit(1)
    : [];
  const windows = (await listFreezeWindows(tx, env.projectId, env.id)).map(toFreezeWindow);
  const override = await freezeOverrideFor(tx, env.id, deployment.id, now);
  return {
    environmentName: env.name,
    kind: deployment.kind,
    ref: { branch: run?.branch ?? null, tag: run?.tag ?? null },
    jobs: runJobs,
    previousEnvironment: previous ? { name: previous.name, succeeded: !!succeeded } : null,
    requestedAt: deployment.createdAt,
    now,
    freezeWindows: windows,
    freezeOverride: override ? { by: override.byLabel, reason: override.reason } : null,
  };
}

/** The administrator's override of the freeze that applies: one written for this deployment, or one for the whole environment still in force. */
export async function freezeOverrideFor(tx: Tx, environmentId: string, deploymentId: string | null, now: Date): Promise<GovernanceOverride | null> {
  const [override] = await tx
    .select()
    .from(governanceOverrides)
    .where(
      and(
        eq(governanceOverrides.environmentId, environmentId),
        eq(governanceOverrides.kind, "freeze"),
        or(deploymentId ? eq(governanceOverrides.deploymentId, deploymentId) : undefined, and(isNull(governanceOverrides.deploymentId), gt(governanceOverrides.expiresAt, now))),
      ),
    )
    .orderBy(desc(governanceOverrides.createdAt))
    .limit(1);
  return override ?? null;
}

export async function decisionsOf(tx: Tx, requestId: string): Promise<Decision[]> {
  const rows = await tx.select().from(approvalDecisions).where(eq(approvalDecisions.requestId, requestId)).orderBy(asc(approvalDecisions.at));
  return rows.map((r) => ({ userId: r.userId, label: r.label, decision: r.decision, stageIndex: r.stageIndex, comment: r.comment, at: r.at }));
}

/**
 * The approval request a deployment of this release to this environment is judged with: the
 * newest pending or approved one still bound to the release's digest and revision. One that
 * no longer matches is marked stale on the way (its approvals stop counting).
 */
async function boundRequest(tx: DbTransaction, env: Environment, release: Release, now: Date): Promise<ApprovalRequest | null> {
  const candidates = await tx
    .select()
    .from(approvalRequests)
    .where(and(eq(approvalRequests.environmentId, env.id), eq(approvalRequests.releaseId, release.id), inArray(approvalRequests.status, ["pending", "approved"])))
    .orderBy(desc(approvalRequests.createdAt))
    .for("update");
  for (const request of candidates) {
    const stale = staleness(request, release);
    if (stale) {
      await tx.update(approvalRequests).set({ status: "stale", reason: stale, decidedAt: now }).where(eq(approvalRequests.id, request.id));
      await notifyApprovals(tx, request.id);
      continue;
    }
    if (request.status === "pending" && !(await stillWaiting(tx, request.id))) {
      // Everything it held was aborted: nobody is asked any more, and a new request is judged by today's rules.
      await tx.update(approvalRequests).set({ status: "withdrawn", reason: WITHDRAWN, decidedAt: now }).where(eq(approvalRequests.id, request.id));
      await notifyApprovals(tx, request.id);
      continue;
    }
    return request;
  }
  return null;
}

/** Emails of the authors of the commits between what runs in the environment now and the release. */
async function changeSetAuthors(tx: Tx, env: Environment, release: Release): Promise<string[]> {
  const current = await currentRelease(tx, env.id);
  const low = current ? Math.min(current.number, release.number) : 0;
  const high = current ? Math.max(current.number, release.number) : release.number;
  const rows = await tx
    .select({ changes: releases.changes })
    .from(releases)
    .where(and(eq(releases.projectId, release.projectId), gt(releases.number, low), lte(releases.number, high)))
    .orderBy(desc(releases.number))
    .limit(500);
  return [...new Set(rows.flatMap((r) => r.changes.authors.map((a) => a.toLowerCase())))].sort();
}

async function createRequest(
  db: Database,
  tx: DbTransaction,
  actor: Actor,
  input: { env: Environment; release: Release; rules: RulesInForce; now: Date },
): Promise<ApprovalRequest> {
  const { env, release, rules, now } = input;
  const [run] = release.runId ? await tx.select({ triggeredBy: runs.triggeredBy }).from(runs).where(eq(runs.id, release.runId)) : [];
  const [request] = await tx
    .insert(approvalRequests)
    .values({
      projectId: env.projectId,
      environmentId: env.id,
      releaseId: release.id,
      ...bindingOf(release),
      rulesId: rules.id,
      ruleVersion: rules.version,
      requestedBy: actor.userId,
      requestedByLabel: actor.label,
      runId: release.runId,
      triggeredBy: run?.triggeredBy ?? null,
      authors: await changeSetAuthors(tx, env, release),
      createdAt: now,
      expiresAt: new Date(now.getTime() + rules.rules.approvalExpiryHours * 3_600_000),
    })
    .returning();
  await notifyApprovals(tx, request.id);
  const stage = rules.rules.stages[0];
  const notice: Notice = {
    projectId: env.projectId,
    event: "approval.requested",
    summary: `${release.version} to ${env.name} waits for approval${stage ? ` (${stage.name})` : ""}, asked by ${actor.label}`,
    path: `/go/approval/${request.id}`,
    data: { requestId: request.id, environment: env.name, version: release.version, releaseId: release.id, expiresAt: request.expiresAt.toISOString() },
  };
  await emitNotification(tx, notice);
  await emailNotice(db, tx, notice, () => eligibleApprovers(tx, request, rules.rules, []));
  return request;
}

type Judged = { verdict: Verdict; request: ApprovalRequest | null; rules: RulesInForce };

/** Judges a queued deployment: by its request's rules when it has one, else by `fallbackRules`. Makes the approval request when one is needed. */
async function judgeQueued(
  db: Database,
  tx: DbTransaction,
  actor: Actor,
  input: { env: Environment; release: Release; deployment: DeploymentRow; fallbackRules: () => Promise<RulesInForce>; now: Date },
): Promise<Judged> {
  const { env, release, deployment, now } = input;
  let request = await boundRequest(tx, env, release, now);
  let rules = request ? await rulesById(tx, request.rulesId) : await input.fallbackRules();
  const facts = await gatherFacts(tx, env, release, deployment, now);
  let verdict = judge({ ...facts, rules: rules.rules, decisions: request ? await decisionsOf(tx, request.id) : [] });
  if (!request && verdict.outcome === "needs-approval") {
    // A new request is judged by the rules in force now.
    rules = await rulesInForce(tx, env.id);
    request = await createRequest(db, tx, actor, { env, release, rules, now });
    verdict = judge({ ...facts, rules: rules.rules, decisions: [] });
  }
  return { verdict, request, rules };
}

/**
 * Called by requestDeployment inside its transaction, right after it inserted `row` as queued
 * (and with the environment's row locked). Returns null when the deployment may go ahead (the
 * caller starts it or leaves it in line), the held row when it must wait, and throws a
 * ConflictError with the reason when the rules refuse it.
 */
export async function gateDeployment(db: Database, tx: DbTransaction, row: DeploymentRow, actor: Actor, now = new Date()): Promise<DeploymentRow | null> {
  const [env] = await tx.select().from(environments).where(eq(environments.id, row.environmentId));
  const [release] = await tx.select().from(releases).where(eq(releases.id, row.releaseId));
  const { verdict, request, rules } = await judgeQueued(db, tx, actor, { env, release, deployment: row, fallbackRules: () => rulesInForce(tx, env.id), now });
  if (verdict.outcome === "refuse") throw new ConflictError(verdict.reason, "environmentId");
  if (verdict.outcome === "pass") {
    if (verdict.notes.length) {
      await tx.insert(deploymentGates).values({ deploymentId: row.id, projectId: row.projectId, environmentId: env.id, approvalRequestId: request?.id ?? null, rulesId: rules.id, ruleVersion: rules.version, status: "cleared", reason: "Cleared", notes: verdict.notes, clearedAt: now });
      await tx.insert(deploymentEvents).values(verdict.notes.map((message) => ({ deploymentId: row.id, kind: "governance", message })));
    }
    return null;
  }
  const reason = describeHolds(verdict.holds);
  const until = nextRecheck(verdict.holds);
  await tx.insert(deploymentGates).values({ deploymentId: row.id, projectId: row.projectId, environmentId: env.id, approvalRequestId: request?.id ?? null, rulesId: rules.id, ruleVersion: rules.version, status: "held", reason, until, createdAt: now, updatedAt: now });
  await tx.insert(deploymentEvents).values({ deploymentId: row.id, kind: "governance", message: reason, data: { ruleVersion: rules.version, approvalRequestId: request?.id ?? null } });
  const [held] = await tx.update(deployments).set({ message: reason, updatedAt: now }).where(eq(deployments.id, row.id)).returning();
  await emitNotification(tx, { projectId: row.projectId, event: "deployment.held", summary: `${release.version} to ${env.name} waits: ${reason}`, path: `/projects/{slug}/deployments/${row.id}`, data: { deploymentId: row.id, environment: env.name, version: release.version, kind: row.kind } });
  if (until) await enqueueRecheck(db, tx, row.id, until);
  return held;
}

/**
 * Judges a held deployment again (by the rules version it was judged by): starts it when
 * nothing holds it any more (or leaves it in line behind the running one), aborts it with the
 * reason when the rules now refuse it (a rejection, an expiry, a refusing freeze), or records
 * what it waits for now. Takes the environment's row lock first, as requestDeployment does.
 */
export async function reconsiderInTx(db: Database, tx: DbTransaction, deploymentId: string, now = new Date()): Promise<"cleared" | "refused" | "held" | "none"> {
  const [peek] = await tx.select({ environmentId: deploymentGates.environmentId }).from(deploymentGates).where(eq(deploymentGates.deploymentId, deploymentId));
  if (!peek) return "none";
  const [env] = await tx.select().from(environments).where(eq(environments.id, peek.environmentId)).for("update");
  const [gate] = await tx.select().from(deploymentGates).where(eq(deploymentGates.deploymentId, deploymentId)).for("update");
  if (!gate || gate.status !== "held") return "none";
  const [row] = await tx.select().from(deployments).where(eq(deployments.id, deploymentId)).for("update");
  if (row.phase !== "queued") {
    await tx.update(deploymentGates).set({ status: "refused", reason: `It ended before it was cleared (${row.phase.replace("_", " ")})`, until: null, updatedAt: now }).where(eq(deploymentGates.deploymentId, deploymentId));
    return "none";
  }
  const [release] = await tx.select().from(releases).where(eq(releases.id, row.releaseId));
  // A request that was rejected or expired decides for every deployment it held.
  const [previous] = gate.approvalRequestId ? await tx.select().from(approvalRequests).where(eq(approvalRequests.id, gate.approvalRequestId)) : [];
  if (previous && (previous.status === "rejected" || previous.status === "expired")) return refuse(tx, row, previous.reason ?? `The approval request was ${previous.status}.`, now);

  const actor: Actor = { userId: row.requestedBy, label: row.requestedByLabel, ip: null, via: "system" };
  const { verdict, request, rules } = await judgeQueued(db, tx, actor, { env, release, deployment: row, fallbackRules: () => rulesById(tx, gate.rulesId), now });
  if (verdict.outcome === "refuse") return refuse(tx, row, verdict.reason, now);
  const fields = { approvalRequestId: request?.id ?? null, rulesId: rules.id, ruleVersion: rules.version, updatedAt: now };
  if (verdict.outcome === "pass") {
    await tx.update(deploymentGates).set({ ...fields, status: "cleared", reason: "Cleared", until: null, clearedAt: now, notes: verdict.notes }).where(eq(deploymentGates.deploymentId, row.id));
    const message = "Cleared by the environment's rules; waiting for the deployment before it to end";
    await tx.insert(deploymentEvents).values([
      { deploymentId: row.id, kind: "governance", message: verdict.progress.state === "approved" && verdict.progress.approvals.length ? `Cleared: approved by ${verdict.progress.approvals.map((a) => a.label).join(", ")}` : "Cleared" },
      ...verdict.notes.map((note) => ({ deploymentId: row.id, kind: "governance", message: note })),
    ]);
    await tx.update(deployments).set({ message, updatedAt: now }).where(eq(deployments.id, row.id));
    const [active] = await tx
      .select({ id: deployments.id })
      .from(deployments)
      .where(and(eq(deployments.environmentId, env.id), inArray(deployments.phase, [...ACTIVE_DEPLOYMENT_PHASES])))
      .limit(1);
    if (!active) await startNextQueued(db, tx, env.id);
    await tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${row.id})`);
    return "cleared";
  }
  const reason = describeHolds(verdict.holds);
  const until = nextRecheck(verdict.holds);
  const changed = reason !== gate.reason || fields.approvalRequestId !== gate.approvalRequestId;
  await tx.update(deploymentGates).set({ ...fields, reason, until }).where(eq(deploymentGates.deploymentId, row.id));
  if (changed) {
    await tx.insert(deploymentEvents).values({ deploymentId: row.id, kind: "governance", message: reason, data: { ruleVersion: rules.version, approvalRequestId: request?.id ?? null } });
    await tx.update(deployments).set({ message: reason, updatedAt: now }).where(eq(deployments.id, row.id));
    await tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${row.id})`);
  }
  if (until) await enqueueRecheck(db, tx, row.id, until);
  return "held";
}

export async function reconsiderDeployment(db: Database, deploymentId: string, now = new Date()) {
  return db.transaction((tx) => reconsiderInTx(db, tx, deploymentId, now));
}

async function refuse(tx: DbTransaction, row: DeploymentRow, reason: string, now: Date): Promise<"refused"> {
  await tx.update(deploymentGates).set({ status: "refused", reason, until: null, updatedAt: now }).where(eq(deploymentGates.deploymentId, row.id));
  await tx.update(deployments).set({ phase: "aborted", reason, message: reason, finishedAt: now, updatedAt: now }).where(eq(deployments.id, row.id));
  await tx.insert(deploymentEvents).values({ deploymentId: row.id, kind: "governance", message: `Not deployed: ${reason}` });
  await emitNotification(tx, { projectId: row.projectId, event: "deployment.refused", summary: `A deployment was not started: ${reason}`, path: `/projects/{slug}/deployments/${row.id}`, data: { deploymentId: row.id, kind: row.kind } });
  await tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${row.id})`);
  return "refused";
}

/** The held deployments an approval request holds. */
export async function heldBy(tx: Tx, requestId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: deploymentGates.deploymentId })
    .from(deploymentGates)
    .where(and(eq(deploymentGates.approvalRequestId, requestId), eq(deploymentGates.status, "held")))
    .orderBy(asc(deploymentGates.createdAt));
  return rows.map((r) => r.id);
}

/** SQL: some deployment still waits (queued) on the approval request `requestId` (a column or value). */
export function waitsOn(requestId: SQLWrapper): SQL {
  return sql`exists (select 1 from ${deploymentGates} join ${deployments} on ${deployments.id} = ${deploymentGates.deploymentId} where ${deploymentGates.approvalRequestId} = ${requestId} and ${deploymentGates.status} = 'held' and ${deployments.phase} = 'queued')`;
}

async function stillWaiting(tx: Tx, requestId: string): Promise<boolean> {
  const [row] = await tx.execute<{ waits: boolean }>(sql`select ${waitsOn(sql`${requestId}::uuid`)} as waits`);
  return row.waits;
}

export async function notifyApprovals(tx: Tx, requestId: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${APPROVALS_CHANNEL}, ${requestId})`);
}

/** An administrator's written override of the freeze for one held deployment: audited, shown on it, and it starts if nothing else holds it. */
export async function overrideFreeze(db: Database, actor: Actor, input: { projectId: string; deploymentId: string; reason: string }, now = new Date()) {
  const reason = input.reason.trim();
  if (reason.length < 10) throw new ConflictError("Write why the freeze is overridden (at least 10 characters); it is kept in the audit trail and shown on the deployment.", "reason");
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(deployments).where(and(eq(deployments.id, input.deploymentId), eq(deployments.projectId, input.projectId)));
    if (!row) throw new ConflictError("This deployment does not exist in this project.", "deploymentId");
    if (row.phase !== "queued") throw new ConflictError("This deployment is not waiting to start, so there is no freeze to override for it.");
    await tx.insert(governanceOverrides).values({ projectId: row.projectId, environmentId: row.environmentId, deploymentId: row.id, kind: "freeze", reason, byUserId: actor.userId, byLabel: actor.label, createdAt: now });
    await tx.insert(deploymentEvents).values({ deploymentId: row.id, kind: "governance", message: `Freeze overridden by ${actor.label}: ${reason}` });
    await recordAudit(tx, actor, { action: "deployment.freeze_override", objectType: "deployment", objectId: row.id, projectId: row.projectId, after: { reason } });
    const outcome = await reconsiderInTx(db, tx, row.id, now);
    return { outcome };
  });
}

// ---- Wake-ups and the sweep ---------------------------------------------------------------

async function governanceSender(db: Database): Promise<PgBoss> {
  const boss = await senderFor(db);
  await ensureQueues(boss, [GOVERNANCE_QUEUE]);
  return boss;
}

/** A delayed message that re-judges the deployment at `at` (the freeze's end, the timer's), sent in `tx`. */
async function enqueueRecheck(db: Database, tx: DbTransaction, deploymentId: string, at: Date): Promise<void> {
  const boss = await governanceSender(db);
  await boss.send(GOVERNANCE_QUEUE, { deploymentId } satisfies GovernanceMessage, {
    singletonKey: `${deploymentId}@${at.getTime()}`,
    startAfter: at,
    retryLimit: 3,
    db: bossDb(rawTransactionClient(tx)),
  });
}

/** Gates due for another look: their time came (the queue message is the fast path; this is the safety net). */
export async function dueGates(db: Tx, now: Date): Promise<string[]> {
  const rows = await db
    .select({ id: deploymentGates.deploymentId })
    .from(deploymentGates)
    .where(and(eq(deploymentGates.status, "held"), lte(deploymentGates.until, now)))
    .limit(500);
  return rows.map((r) => r.id);
}

/** Re-judges every deployment held in the project now (after a freeze window was removed, say). */
export async function recheckProject(db: Database, projectId: string, now = new Date()): Promise<number> {
  const rows = await db
    .select({ id: deploymentGates.deploymentId })
    .from(deploymentGates)
    .where(and(eq(deploymentGates.projectId, projectId), eq(deploymentGates.status, "held")))
    .orderBy(asc(deploymentGates.createdAt))
    .limit(1000);
  for (const { id } of rows) await reconsiderDeployment(db, id, now);
  return rows.length;
}
