import { and, asc, desc, eq, inArray, isNull, lte, not, sql } from "drizzle-orm";
import type { Database, DbTransaction, Tx } from "@/db/client";
import {
  approvalDecisions,
  approvalRequests,
  deploymentGates,
  deployments,
  environments,
  jobs,
  projectMembers,
  projects,
  protectionRules,
  releases,
  runs,
  type ApprovalRequest,
  type User,
} from "@/db/schema";
import { approvalProgress, isEligible, mayDecide, OPEN_RULES, protectionRulesSchema, type Decision, type Person, type ProjectRole, type ProtectionRules } from "@/server/governance";
import { systemActor, type Actor } from "./actor";
import { changeSetsFor } from "./approval-changes";
import { recordAudit } from "./audit";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "./errors";
import { bindingOf, decisionsOf, dueGates, heldBy, notifyApprovals, reconsiderDeployment, reconsiderInTx, staleness, waitsOn, WITHDRAWN } from "./governance-gate";
import { groupsOf, rulesInForce } from "./governance-rules";
import { eligibleApprovers } from "./approval-recipients";
import { emailNotice } from "./email";
import { emitNotification } from "./notifications";
import { isUniqueViolation } from "./pg-errors";

/**
 * Approval requests as people see and decide them: the cross-project inbox, one request in
 * full, approve / reject with a comment (several at once), and expiry. A decision and what it
 * releases commit together: the deployments the request held start in the same transaction.
 */

// ---- Who the caller is in each project ----------------------------------------------------

type Membership = { projectId: string; role: ProjectRole };

async function membershipsOf(db: Tx, user: User, projectIds?: string[]): Promise<Membership[]> {
  if (user.isAdmin) {
    const rows = await db
      .select({ id: projects.id })
      .from(projects)
      .where(and(isNull(projects.archivedAt), projectIds ? inArray(projects.id, projectIds) : undefined));
    return rows.map((r) => ({ projectId: r.id, role: "admin" as const }));
  }
  const rows = await db
    .select({ projectId: projectMembers.projectId, role: projectMembers.role })
    .from(projectMembers)
    .innerJoin(projects, eq(projects.id, projectMembers.projectId))
    .where(and(eq(projectMembers.userId, user.id), isNull(projects.archivedAt), projectIds ? inArray(projectMembers.projectId, projectIds) : undefined));
  return rows;
}

async function personIn(db: Tx, user: User, projectId: string): Promise<Person> {
  const [membership] = await membershipsOf(db, user, [projectId]);
  const groups = await groupsOf(db, [projectId], user.id);
  return { id: user.id, email: user.email, role: membership?.role ?? null, groups: groups.get(projectId) ?? [] };
}

const parseRules = (raw: unknown): ProtectionRules => (raw ? protectionRulesSchema.parse(raw) : OPEN_RULES);

async function rulesFor(db: Tx, rulesIds: (string | null)[]): Promise<Map<string | null, { rules: ProtectionRules; version: number }>> {
  const ids = [...new Set(rulesIds.filter((id): id is string => !!id))];
  const map = new Map<string | null, { rules: ProtectionRules; version: number }>([[null, { rules: OPEN_RULES, version: 0 }]]);
  if (ids.length) {
    const rows = await db.select().from(protectionRules).where(inArray(protectionRules.id, ids));
    for (const row of rows) map.set(row.id, { rules: parseRules(row.rules), version: row.version });
  }
  return map;
}

async function decisionsFor(db: Tx, requestIds: string[]): Promise<Map<string, Decision[]>> {
  const map = new Map<string, Decision[]>();
  if (requestIds.length === 0) return map;
  const rows = await db.select().from(approvalDecisions).where(inArray(approvalDecisions.requestId, requestIds)).orderBy(asc(approvalDecisions.at));
  for (const r of rows) {
    const list = map.get(r.requestId) ?? [];
    list.push({ userId: r.userId, label: r.label, decision: r.decision, stageIndex: r.stageIndex, comment: r.comment, at: r.at });
    map.set(r.requestId, list);
  }
  return map;
}

// ---- The inbox ----------------------------------------------------------------------------

/** Pending requests (holding at least one deployment) in these projects, newest first. */
async function pendingIn(db: Tx, projectIds: string[]): Promise<ApprovalRequest[]> {
  if (projectIds.length === 0) return [];
  return db
    .select()
    .from(approvalRequests)
    .where(
      and(
        eq(approvalRequests.status, "pending"),
        inArray(approvalRequests.projectId, projectIds),
        waitsOn(approvalRequests.id),
      ),
    )
    .orderBy(desc(approvalRequests.createdAt), desc(approvalRequests.id))
    .limit(5000);
}

/**
 * The pending requests in the person's projects, sorted for them: those they may decide now, and
 * those whose current stage they approve in but may not decide (their own change under separation
 * of duties, or already decided by them), with the reason.
 */
async function sortPending(db: Tx, user: User): Promise<{ actionable: ApprovalRequest[]; refused: { request: ApprovalRequest; reason: string }[] }> {
  const memberships = await membershipsOf(db, user);
  const pending = await pendingIn(db, memberships.map((m) => m.projectId));
  if (pending.length === 0) return { actionable: [], refused: [] };
  const roles = new Map(memberships.map((m) => [m.projectId, m.role]));
  const groups = await groupsOf(db, [...new Set(pending.map((p) => p.projectId))], user.id);
  const rules = await rulesFor(db, pending.map((p) => p.rulesId));
  const decisions = await decisionsFor(db, pending.map((p) => p.id));
  const actionable: ApprovalRequest[] = [];
  const refused: { request: ApprovalRequest; reason: string }[] = [];
  for (const request of pending) {
    const person: Person = { id: user.id, email: user.email, role: roles.get(request.projectId) ?? null, groups: groups.get(request.projectId) ?? [] };
    const r = rules.get(request.rulesId)?.rules ?? OPEN_RULES;
    const ds = decisions.get(request.id) ?? [];
    const may = mayDecide(person, { stages: r.stages, decisions: ds, separation: request, separationOfDuties: r.separationOfDuties });
    if (may.ok) actionable.push(request);
    else if (approversOfCurrentStage(person, r, ds)) refused.push({ request, reason: may.reason });
  }
  return { actionable, refused };
}

function approversOfCurrentStage(person: Person, rules: ProtectionRules, decisions: Decision[]): boolean {
  const progress = approvalProgress(rules.stages, decisions);
  return progress.state === "pending" && isEligible(person, progress.stage.approvers);
}

/** How many requests wait for the person: the navigation's count. */
export async function inboxCount(db: Database, user: User): Promise<number> {
  return (await sortPending(db, user)).actionable.length;
}

/** Requests the person approves in but may not decide, shown below the inbox with why. */
const MAX_REFUSED = 50;

/**
 * Every pending approval the person may act on, across projects, newest first, with what they
 * need to decide; and, apart, those they would approve but may not, with the reason.
 */
export async function listInbox(db: Database, user: User, { limit = 100 }: { limit?: number } = {}) {
  const { actionable, refused } = await sortPending(db, user);
  const page = actionable.slice(0, limit);
  const others = refused.slice(0, MAX_REFUSED);
  const described = await describeRequests(db, [...page, ...others.map((o) => o.request)]);
  return {
    total: actionable.length,
    items: described.slice(0, page.length),
    waitingForOthers: described.slice(page.length).map((item, i) => ({ ...item, refusal: others[i].reason })),
  };
}

/** What an approver needs to see, for each request: where, what, who asked, changes, checks, stages, decisions, expiry. */
async function describeRequests(db: Tx, requests: ApprovalRequest[]) {
  if (requests.length === 0) return [];
  const projectRows = await db.select({ id: projects.id, slug: projects.slug, name: projects.name }).from(projects).where(inArray(projects.id, [...new Set(requests.map((r) => r.projectId))]));
  const envIds = [...new Set(requests.map((r) => r.environmentId))];
  const envRows = await db.select({ id: environments.id, name: environments.name, position: environments.position }).from(environments).where(inArray(environments.id, envIds));
  const releaseRows = await db.select().from(releases).where(inArray(releases.id, [...new Set(requests.map((r) => r.releaseId))]));
  // What each environment runs now: the release of its latest successful deployment.
  const currentRows = await db.execute<{ environment_id: string; release_id: string; version: string; number: number; commit_sha: string }>(sql`
    select distinct on (d.environment_id) d.environment_id, d.release_id, r.version, r.number, r.commit_sha
    from ${deployments} d join ${releases} r on r.id = d.release_id
    where d.phase = 'succeeded' and d.environment_id in ${envIds}
    order by d.environment_id, d.finished_at desc nulls last, d.created_at desc`);
  const runIds = [...new Set(releaseRows.map((r) => r.runId).filter((id): id is string => !!id))];
  const runRows = runIds.length ? await db.select({ id: runs.id, number: runs.number, status: runs.status, branch: runs.branch, tag: runs.tag, trigger: runs.trigger }).from(runs).where(inArray(runs.id, runIds)) : [];
  const jobRows = runIds.length ? await db.select({ runId: jobs.runId, key: jobs.key, jobId: jobs.jobId, name: jobs.name, status: jobs.status }).from(jobs).where(inArray(jobs.runId, runIds)) : [];
  const rules = await rulesFor(db, requests.map((r) => r.rulesId));
  const current = new Map<string, number>();
  for (const row of await db.select({ environmentId: protectionRules.environmentId, version: sql<number>`max(${protectionRules.version})::int` }).from(protectionRules).where(inArray(protectionRules.environmentId, envIds)).groupBy(protectionRules.environmentId)) {
    current.set(row.environmentId, row.version);
  }
  const decisions = await decisionsFor(db, requests.map((r) => r.id));
  const changeSets = await changeSetsFor(
    db,
    requests.map((request) => {
      const release = releaseRows.find((r) => r.id === request.releaseId)!;
      const running = currentRows.find((c) => c.environment_id === request.environmentId);
      return {
        key: request.id,
        projectId: request.projectId,
        to: { version: release.version, number: release.number, commitSha: release.commitSha },
        from: running ? { version: running.version, number: running.number, commitSha: running.commit_sha } : null,
      };
    }),
  );
  const held = await db
    .select({ requestId: deploymentGates.approvalRequestId, deploymentId: deploymentGates.deploymentId, reason: deploymentGates.reason, kind: deployments.kind, jobId: deployments.jobId })
    .from(deploymentGates)
    .innerJoin(deployments, eq(deployments.id, deploymentGates.deploymentId))
    .where(and(inArray(deploymentGates.approvalRequestId, requests.map((r) => r.id)), eq(deploymentGates.status, "held")));

  return requests.map((request) => {
    const release = releaseRows.find((r) => r.id === request.releaseId)!;
    const running = currentRows.find((c) => c.environment_id === request.environmentId) ?? null;
    const run = runRows.find((r) => r.id === release.runId) ?? null;
    const { rules: r, version } = rules.get(request.rulesId) ?? { rules: OPEN_RULES, version: request.ruleVersion };
    const ds = decisions.get(request.id) ?? [];
    const progress = approvalProgress(r.stages, ds);
    const changeSet = changeSets.get(request.id)!;
    return {
      id: request.id,
      project: projectRows.find((p) => p.id === request.projectId)!,
      environment: envRows.find((e) => e.id === request.environmentId)!,
      release: { id: release.id, number: release.number, version: release.version, commitSha: release.commitSha, image: release.image, digest: bindingOf(release).artifactDigest, notes: release.notes },
      requestedBy: request.requestedByLabel,
      requestedAt: request.createdAt,
      expiresAt: request.expiresAt,
      status: request.status,
      reason: request.reason,
      /** What runs there now and what changes since: the commits, their authors, the files. */
      changes: {
        from: running ? { version: running.version, number: running.number, commitSha: running.commit_sha } : null,
        to: { version: release.version, number: release.number, commitSha: release.commitSha },
        ...changeSet,
        authors: request.authors,
        source: release.changes.source,
      },
      run: run ? { ...run, jobs: jobRows.filter((j) => j.runId === run.id).map(({ runId: _r, ...j }) => j) } : null,
      requiredChecks: r.requiredChecks,
      stages: r.stages.map((s, i) => ({
        name: s.name,
        count: s.count,
        approvedBy: ds.filter((d) => d.stageIndex === i && d.decision === "approved").map((d) => ({ label: d.label, comment: d.comment, at: d.at })),
      })),
      stageIndex: progress.state === "pending" ? progress.stageIndex : null,
      decisions: ds.map((d) => ({ label: d.label, decision: d.decision, comment: d.comment, at: d.at, stageIndex: d.stageIndex })),
      /** The rules version it is judged by, and the environment's current one (they differ after a change while pending). */
      ruleVersion: version,
      currentRuleVersion: current.get(request.environmentId) ?? 0,
      separationOfDuties: r.separationOfDuties,
      deployments: held.filter((h) => h.requestId === request.id).map(({ requestId: _q, ...h }) => h),
    };
  });
}

export type InboxItem = Awaited<ReturnType<typeof describeRequests>>[number];

/** One request in full, with whether the person may decide it and why not (the page a notification link lands on). */
export async function getApprovalRequest(db: Database, user: User, input: { projectId: string; requestId: string }) {
  const [request] = await db.select().from(approvalRequests).where(and(eq(approvalRequests.id, input.requestId), eq(approvalRequests.projectId, input.projectId)));
  if (!request) throw new NotFoundError("This approval request does not exist in this project.", "requestId");
  const [item] = await describeRequests(db, [request]);
  const person = await personIn(db, user, request.projectId);
  const rules = (await rulesFor(db, [request.rulesId])).get(request.rulesId)?.rules ?? OPEN_RULES;
  const may =
    request.status === "pending"
      ? mayDecide(person, { stages: rules.stages, decisions: await decisionsOf(db, request.id), separation: request, separationOfDuties: rules.separationOfDuties })
      : { ok: false as const, reason: `This request is ${request.status}${request.reason ? `: ${request.reason}` : "."}` };
  return { ...item, mayDecide: may.ok ? { ok: true as const, stageIndex: may.stageIndex } : may };
}

/** Approval requests of a project, newest first (history, any status). */
export async function listApprovalRequests(db: Database, input: { projectId: string; environmentId?: string; releaseId?: string; limit?: number }) {
  const rows = await db
    .select()
    .from(approvalRequests)
    .where(
      and(
        eq(approvalRequests.projectId, input.projectId),
        input.environmentId ? eq(approvalRequests.environmentId, input.environmentId) : undefined,
        input.releaseId ? eq(approvalRequests.releaseId, input.releaseId) : undefined,
      ),
    )
    .orderBy(desc(approvalRequests.createdAt))
    .limit(input.limit ?? 50);
  return describeRequests(db, rows);
}

/** The gate of one deployment (what it waits for, which rules version judged it, notes such as overrides), or null. */
export async function deploymentGate(db: Database, input: { projectId: string; deploymentId: string }) {
  const [gate] = await db.select().from(deploymentGates).where(and(eq(deploymentGates.deploymentId, input.deploymentId), eq(deploymentGates.projectId, input.projectId)));
  if (!gate) return null;
  const current = await rulesInForce(db, gate.environmentId);
  return { ...gate, currentRuleVersion: current.version };
}

// ---- Decisions ----------------------------------------------------------------------------

export type DecisionInput = { projectId: string; requestId: string; decision: "approved" | "rejected"; comment?: string };

/**
 * Records one person's decision, after the rules say they may make it; the request is approved
 * when its last stage has its count (the deployments it held start at once) and rejected by
 * any rejection (they are aborted with the comment). Audited in the same transaction.
 */
export async function decideApproval(db: Database, user: User, actor: Actor, input: DecisionInput, now = new Date()) {
  const comment = (input.comment ?? "").trim();
  if (input.decision === "rejected" && !comment) throw new InvalidInputError("Say why you reject it; the comment is shown to the requester and kept in the audit trail.", "comment");
  if (comment.length > 2000) throw new InvalidInputError("A comment is at most 2000 characters.", "comment");
  await refreshStaleness(db, input.projectId, input.requestId, now);
  return db.transaction(async (tx) => {
    const [peek] = await tx.select().from(approvalRequests).where(and(eq(approvalRequests.id, input.requestId), eq(approvalRequests.projectId, input.projectId)));
    if (!peek) throw new NotFoundError("This approval request does not exist in this project.", "requestId");
    // The environment's row first, as every deployment path takes it, then the request.
    const [env] = await tx.select().from(environments).where(eq(environments.id, peek.environmentId)).for("update");
    const [request] = await tx.select().from(approvalRequests).where(eq(approvalRequests.id, peek.id)).for("update");
    if (request.status !== "pending") throw new ConflictError(`This request is already ${request.status}${request.reason ? `: ${request.reason}` : "."}`);
    if (request.expiresAt.getTime() <= now.getTime()) throw new ConflictError("This request has expired; it is being rejected.");
    const [rulesRow] = request.rulesId ? await tx.select().from(protectionRules).where(eq(protectionRules.id, request.rulesId)) : [];
    const rules = parseRules(rulesRow?.rules);
    const decisions = await decisionsOf(tx, request.id);
    const person = await personIn(tx, user, request.projectId);
    const may = mayDecide(person, { stages: rules.stages, decisions, separation: request, separationOfDuties: rules.separationOfDuties });
    if (!may.ok) throw new ForbiddenError(may.reason);
    const decision: Decision = { userId: user.id, label: actor.label, decision: input.decision, stageIndex: may.stageIndex, comment, at: now };
    try {
      await tx.insert(approvalDecisions).values({ requestId: request.id, userId: user.id, label: actor.label, decision: input.decision, stageIndex: may.stageIndex, comment, via: actor.via, at: now });
    } catch (error) {
      if (isUniqueViolation(error, "approval_decisions_one_per_person")) throw new ConflictError("You already decided on this request; one decision per person.");
      throw error;
    }
    const progress = approvalProgress(rules.stages, [...decisions, decision]);
    const status = progress.state === "pending" ? "pending" : progress.state;
    const reason = progress.state === "rejected" ? `Rejected by ${actor.label}: ${comment}` : null;
    await tx
      .update(approvalRequests)
      .set({ status, stageIndex: progress.state === "pending" ? progress.stageIndex : request.stageIndex, reason, decidedAt: status === "pending" ? null : now })
      .where(eq(approvalRequests.id, request.id));
    const [release] = await tx.select({ version: releases.version }).from(releases).where(eq(releases.id, request.releaseId));
    await recordAudit(tx, actor, {
      action: input.decision === "approved" ? "approval.approve" : "approval.reject",
      objectType: "approval_request",
      objectId: request.id,
      projectId: request.projectId,
      after: { environment: env.name, version: release.version, stage: rules.stages[may.stageIndex]?.name ?? null, stageIndex: may.stageIndex, comment, status, ruleVersion: request.ruleVersion },
    });
    if (status !== "pending") {
      await emitNotification(tx, {
        projectId: request.projectId,
        event: status === "approved" ? "approval.approved" : "approval.rejected",
        summary: status === "approved" ? `${actor.label} approved ${release.version} for ${env.name}` : `${actor.label} rejected ${release.version} for ${env.name}: ${comment}`,
        path: `/go/approval/${request.id}`,
        data: { requestId: request.id, environment: env.name, version: release.version, comment, by: actor.label },
      });
    }
    if (progress.state === "pending" && progress.stageIndex > may.stageIndex) {
      // The next stage's approvers are asked now: by the hooks (a channel of that stage's people hears it) and by email.
      const notice = {
        projectId: request.projectId,
        event: "approval.requested",
        summary: `${release.version} to ${env.name} waits for approval (${progress.stage.name}), after ${rules.stages[may.stageIndex].name} approved`,
        path: `/go/approval/${request.id}`,
      };
      await emitNotification(tx, { ...notice, data: { requestId: request.id, environment: env.name, version: release.version, stage: progress.stage.name } });
      await emailNotice(db, tx, notice, () => eligibleApprovers(tx, request, rules, [...decisions, decision]));
    }
    const outcomes: Record<string, string> = {};
    // Every deployment it holds is judged again: it starts, is aborted, or shows what it waits for now.
    for (const deploymentId of await heldBy(tx, request.id)) outcomes[deploymentId] = await reconsiderInTx(db, tx, deploymentId, now);
    await notifyApprovals(tx, request.id);
    return { requestId: request.id, status, stageIndex: progress.state === "pending" ? progress.stageIndex : null, deployments: outcomes };
  });
}

/** Approves several requests, each on its own (one refusal does not undo the others); says what happened to each. */
export async function approveMany(db: Database, user: User, actor: Actor, input: { projectId: string; requestIds: string[]; comment?: string }) {
  const results = [];
  for (const requestId of [...new Set(input.requestIds)]) {
    try {
      const outcome = await decideApproval(db, user, actor, { projectId: input.projectId, requestId, decision: "approved", comment: input.comment });
      results.push({ requestId, ok: true as const, status: outcome.status });
    } catch (error) {
      if (!(error instanceof ConflictError || error instanceof ForbiddenError || error instanceof NotFoundError || error instanceof InvalidInputError)) throw error;
      results.push({ requestId, ok: false as const, error: error.message });
    }
  }
  return results;
}

/**
 * A request whose release no longer matches what it was asked for (the artifact digest or the
 * pipeline revision changed) is stale: its approvals stop counting, and the deployments it held
 * ask again, under the rules in force now.
 */
async function refreshStaleness(db: Database, projectId: string, requestId: string, now: Date) {
  const [row] = await db
    .select({ request: approvalRequests, release: releases })
    .from(approvalRequests)
    .innerJoin(releases, eq(releases.id, approvalRequests.releaseId))
    .where(and(eq(approvalRequests.id, requestId), eq(approvalRequests.projectId, projectId)));
  if (!row || row.request.status !== "pending" || !staleness(row.request, row.release)) return;
  for (const deploymentId of await heldBy(db, requestId)) await reconsiderDeployment(db, deploymentId, now);
}

// ---- Expiry and the sweep -----------------------------------------------------------------

/** Rejects every pending request past its expiry, saying so; the deployments they held are aborted with that reason. */
export async function expireRequests(db: Database, now = new Date()): Promise<string[]> {
  const due = await db
    .select({ id: approvalRequests.id, environmentId: approvalRequests.environmentId })
    .from(approvalRequests)
    .where(and(eq(approvalRequests.status, "pending"), lte(approvalRequests.expiresAt, now)))
    .limit(500);
  const expired: string[] = [];
  for (const { id, environmentId } of due) {
    const done = await db.transaction(async (tx) => {
      await tx.select({ id: environments.id }).from(environments).where(eq(environments.id, environmentId)).for("update");
      const [request] = await tx.select().from(approvalRequests).where(eq(approvalRequests.id, id)).for("update");
      if (request.status !== "pending" || request.expiresAt.getTime() > now.getTime()) return false;
      const reason = `No decision by ${request.expiresAt.toISOString().replace("T", " ").slice(0, 16)} UTC: the approval request expired and was rejected.`;
      await tx.update(approvalRequests).set({ status: "expired", reason, decidedAt: now }).where(eq(approvalRequests.id, id));
      await recordAudit(tx, systemActor, { action: "approval.expire", objectType: "approval_request", objectId: id, projectId: request.projectId, after: { reason } });
      await emitNotification(tx, { projectId: request.projectId, event: "approval.expired", summary: reason, path: `/go/approval/${id}`, data: { requestId: id } });
      for (const deploymentId of await heldBy(tx, id)) await reconsiderInTx(db, tx, deploymentId, now);
      await notifyApprovals(tx, id);
      return true;
    });
    if (done) expired.push(id);
  }
  return expired;
}

/** Pending requests none of whose deployments wait any more (all were aborted) are withdrawn. */
async function withdrawOrphans(db: Database, now: Date): Promise<void> {
  const orphans = await db
    .select({ id: approvalRequests.id })
    .from(approvalRequests)
    .where(
      and(
        eq(approvalRequests.status, "pending"),
        not(waitsOn(approvalRequests.id)),
      ),
    )
    .limit(500);
  for (const { id } of orphans) {
    await db.transaction(async (tx: DbTransaction) => {
      await tx
        .update(approvalRequests)
        .set({ status: "withdrawn", reason: WITHDRAWN, decidedAt: now })
        .where(and(eq(approvalRequests.id, id), eq(approvalRequests.status, "pending")));
      await notifyApprovals(tx, id);
    });
  }
}

/** Held deployments whose request went stale, re-judged (they ask again). */
async function staleHeld(db: Database): Promise<string[]> {
  const rows = await db
    .select({ deploymentId: deploymentGates.deploymentId, request: approvalRequests, release: releases })
    .from(deploymentGates)
    .innerJoin(approvalRequests, eq(approvalRequests.id, deploymentGates.approvalRequestId))
    .innerJoin(releases, eq(releases.id, approvalRequests.releaseId))
    .where(and(eq(deploymentGates.status, "held"), eq(approvalRequests.status, "pending")))
    .limit(5000);
  return rows.filter((r) => staleness(r.request, r.release)).map((r) => r.deploymentId);
}

/**
 * The governance safety net, run by every worker every few seconds: expiry, held deployments
 * whose time came (freeze end, wait timer) or that an ended deployment no longer blocks, stale
 * requests, and requests nothing waits for any more. Each step is idempotent.
 */
export async function sweepGovernance(db: Database, now = new Date()): Promise<{ expired: number; reconsidered: number }> {
  const expired = await expireRequests(db, now);
  const ids = [...new Set([...(await dueGates(db, now)), ...(await staleHeld(db))])];
  for (const id of ids) await reconsiderDeployment(db, id, now);
  await withdrawOrphans(db, now);
  return { expired: expired.length, reconsidered: ids.length };
}
