import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { approvalRequests, deploymentGates, environments, governanceOverrides, releases, users, type ApprovalRequest, type DeploymentRow, type Environment, type Release } from "@/db/schema";
import {
  activeFreeze,
  approvalProgress,
  describeApprovers,
  describeFrozenEnvironment,
  describeHolds,
  judge,
  type ActiveFreeze,
  type Decision,
  type DeploymentKind,
  type ProtectionRules,
  type Verdict,
} from "@/server/governance";
import { ConflictError } from "./errors";
import { decisionsOf, freezeOverrideFor, gatherFacts, staleness } from "./governance-gate";
import { listFreezeWindows, rulesById, rulesInForce, toFreezeWindow, type RulesInForce } from "./governance-rules";

/**
 * What an environment's rules say about a deployment, changing nothing: before one is asked
 * for (the board's buttons, the confirmation dialogs) and while one is held (its page: the
 * approval stage and who approved, the freeze and until when, the wait timer, overrides).
 */

export type StageOutlook = { name: string; count: number; approvers: string; approvedBy: { label: string; comment: string; at: Date }[] };
export type FreezeOutlook = { until: Date; windows: string[]; refuses: boolean; description: string };
export type WaitTimerOutlook = { minutes: number; until: Date };

export type GovernanceOutlook = {
  outcome: Verdict["outcome"];
  /** The refusal, or every rule it would wait for; null when it would start at once. */
  reason: string | null;
  /** When it would start by itself (the freeze's end, the wait timer's); null when only people can clear it. */
  until: Date | null;
  /** What a rollback skips, a freeze override. */
  notes: string[];
  ruleVersion: number;
  approvalRequestId: string | null;
  /** The approval it would wait for: the stage it would be in, and every stage with who may approve. */
  approval: { stageIndex: number; stages: StageOutlook[] } | null;
  freeze: FreezeOutlook | null;
  waitTimer: WaitTimerOutlook | null;
  /** Why a button asking for it is off (a refusal or a freeze), or null when it may be asked for. */
  blocked: string | null;
};

type Prospect = { id: string; kind: DeploymentKind; createdAt: Date };
/** A deployment that does not exist yet: no override was written for it. */
const NO_DEPLOYMENT = "00000000-0000-0000-0000-000000000000";

function freezeOutlook(environmentName: string, freeze: ActiveFreeze): FreezeOutlook {
  return { until: freeze.until, windows: freeze.windows.map((w) => w.name), refuses: freeze.refuses, description: describeFrozenEnvironment(environmentName, freeze) };
}

/** Every stage of the rules, with who may approve it and who did. */
async function stagesOf(db: Tx, rules: ProtectionRules, decisions: Decision[]): Promise<StageOutlook[]> {
  const ids = [...new Set(rules.stages.flatMap((s) => s.approvers.users))];
  const people = ids.length ? await db.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, ids)) : [];
  const nameOf = (id: string) => {
    const person = people.find((p) => p.id === id);
    return person ? person.name || person.email : "a removed user";
  };
  return rules.stages.map((stage, index) => ({
    name: stage.name,
    count: stage.count,
    approvers: describeApprovers(stage.approvers, nameOf),
    approvedBy: decisions.filter((d) => d.stageIndex === index && d.decision === "approved").map((d) => ({ label: d.label, comment: d.comment, at: d.at })),
  }));
}

async function judgeOutlook(db: Tx, env: Environment, release: Release, deployment: Prospect, request: ApprovalRequest | null, rules: RulesInForce, now: Date): Promise<GovernanceOutlook> {
  const facts = await gatherFacts(db, env, release, deployment, now);
  const decisions = request ? await decisionsOf(db, request.id) : [];
  const verdict = judge({ ...facts, rules: rules.rules, decisions });
  const holds = verdict.outcome === "wait" || verdict.outcome === "needs-approval" ? verdict.holds : [];
  const frozen = holds.some((h) => h.rule === "freeze") || (verdict.outcome === "refuse" && verdict.rule === "freeze");
  const active = frozen ? activeFreeze(facts.freezeWindows, now) : null;
  const freeze = active && freezeOutlook(env.name, active);
  const timer = holds.find((h) => h.rule === "waitTimer");
  const approval = holds.find((h) => h.rule === "approvals");
  return {
    outcome: verdict.outcome,
    reason: verdict.outcome === "pass" ? null : verdict.outcome === "refuse" ? verdict.reason : describeHolds(verdict.holds),
    until: verdict.outcome === "wait" ? verdict.until : null,
    notes: verdict.outcome === "pass" ? verdict.notes : [],
    ruleVersion: rules.version,
    approvalRequestId: request?.id ?? null,
    approval: approval ? { stageIndex: approval.stageIndex, stages: await stagesOf(db, rules.rules, decisions) } : null,
    freeze,
    waitTimer: timer ? { minutes: rules.rules.waitTimerMinutes, until: timer.until } : null,
    blocked: freeze ? freeze.description : verdict.outcome === "refuse" ? verdict.reason : null,
  };
}

/** What the rules would say to deploying `release` to `env` now: judged by the approval request it would join (still bound to the release), else by the rules in force. */
export async function outlookOf(db: Tx, env: Environment, release: Release, kind: DeploymentKind, now = new Date()): Promise<GovernanceOutlook> {
  const candidates = await db
    .select()
    .from(approvalRequests)
    .where(and(eq(approvalRequests.environmentId, env.id), eq(approvalRequests.releaseId, release.id), inArray(approvalRequests.status, ["pending", "approved"])))
    .orderBy(desc(approvalRequests.createdAt));
  const request = candidates.find((c) => !staleness(c, release)) ?? null;
  const rules = request ? await rulesById(db, request.rulesId) : await rulesInForce(db, env.id);
  return judgeOutlook(db, env, release, { id: NO_DEPLOYMENT, kind, createdAt: now }, request, rules, now);
}

/** The governance.preview procedure: `outlookOf` by ids, checked to belong to the project. */
export async function previewDeployment(db: Database, input: { projectId: string; environmentId: string; releaseId: string; kind: DeploymentKind }, now = new Date()): Promise<GovernanceOutlook> {
  const [env] = await db.select().from(environments).where(and(eq(environments.id, input.environmentId), eq(environments.projectId, input.projectId)));
  if (!env) throw new ConflictError("This environment does not exist in this project.", "environmentId");
  const [release] = await db.select().from(releases).where(and(eq(releases.id, input.releaseId), eq(releases.projectId, input.projectId)));
  if (!release) throw new ConflictError("This release does not exist in this project.", "releaseId");
  return outlookOf(db, env, release, input.kind, now);
}

/** The freeze in force on the environment now, whatever is deployed (an override for the whole environment lifts it), or null. */
export async function environmentFreeze(db: Tx, env: Environment, now = new Date()): Promise<FreezeOutlook | null> {
  const active = activeFreeze((await listFreezeWindows(db, env.projectId, env.id)).map(toFreezeWindow), now);
  if (!active || (await freezeOverrideFor(db, env.id, null, now))) return null;
  return freezeOutlook(env.name, active);
}

export type DeploymentGovernance = {
  status: "held" | "cleared" | "refused";
  /** What it waits for, "Cleared", or why it was not started. */
  reason: string;
  /** The rules version it is judged by, and the environment's current one (they differ after a change while it waited). */
  ruleVersion: number;
  currentRuleVersion: number;
  notes: string[];
  approval: { requestId: string; status: ApprovalRequest["status"]; expiresAt: Date; stageIndex: number | null; stages: StageOutlook[] } | null;
  /** While held: the freeze it waits for and the wait timer. */
  freeze: FreezeOutlook | null;
  waitTimer: WaitTimerOutlook | null;
  /** Administrators' written overrides of the freeze for it. */
  overrides: { by: string; reason: string; at: Date }[];
};

/** What the environment's rules did with a deployment (null when it never met a rule that made it wait or waived one). */
export async function deploymentGovernance(db: Database, row: DeploymentRow, now = new Date()): Promise<DeploymentGovernance | null> {
  const [gate] = await db.select().from(deploymentGates).where(eq(deploymentGates.deploymentId, row.id));
  if (!gate) return null;
  const [request] = gate.approvalRequestId ? await db.select().from(approvalRequests).where(eq(approvalRequests.id, gate.approvalRequestId)) : [];
  const rules = await rulesById(db, request?.rulesId ?? gate.rulesId);
  const decisions = request ? await decisionsOf(db, request.id) : [];
  let held: GovernanceOutlook | null = null;
  if (gate.status === "held" && row.phase === "queued") {
    const [env] = await db.select().from(environments).where(eq(environments.id, row.environmentId));
    const [release] = await db.select().from(releases).where(eq(releases.id, row.releaseId));
    held = await judgeOutlook(db, env, release, row, request ?? null, rules, now);
  }
  const progress = approvalProgress(rules.rules.stages, decisions);
  const overrides = await db.select().from(governanceOverrides).where(eq(governanceOverrides.deploymentId, row.id)).orderBy(asc(governanceOverrides.createdAt));
  return {
    status: gate.status,
    reason: gate.reason,
    ruleVersion: gate.ruleVersion,
    currentRuleVersion: (await rulesInForce(db, gate.environmentId)).version,
    notes: gate.notes,
    approval: request
      ? { requestId: request.id, status: request.status, expiresAt: request.expiresAt, stageIndex: progress.state === "pending" ? progress.stageIndex : null, stages: await stagesOf(db, rules.rules, decisions) }
      : null,
    freeze: held?.freeze ?? null,
    waitTimer: held?.waitTimer ?? null,
    overrides: overrides.map((o) => ({ by: o.byLabel, reason: o.reason, at: o.createdAt })),
  };
}
