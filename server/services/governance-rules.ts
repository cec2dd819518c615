import { and, asc, desc, eq, inArray, isNull, or } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { approverGroupMembers, approverGroups, environments, freezeWindows, projectMembers, protectionRules, users, type FreezeWindowRow, type ProtectionRulesRow } from "@/db/schema";
import {
  describeRuleChanges,
  freezeWindowSchema,
  nextFreeze,
  activeFreeze,
  OPEN_RULES,
  protectionRulesSchema,
  type FreezeWindow,
  type FreezeWindowInput,
  type ProtectionRules,
} from "@/server/governance";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { InvalidInputError, NotFoundError } from "./errors";

/**
 * Environment protection rules (versioned), approver groups and freeze windows: the settings
 * side of governance. The gate (governance-gate.ts) reads them when it judges a deployment.
 */

export type RulesInForce = { id: string | null; version: number; rules: ProtectionRules; createdAt: Date | null; createdByLabel: string | null };

const OPEN: RulesInForce = { id: null, version: 0, rules: OPEN_RULES, createdAt: null, createdByLabel: null };

function fromRow(row: ProtectionRulesRow): RulesInForce {
  // Stored rules were valid when saved; parsing again fills defaults added since.
  return { id: row.id, version: row.version, rules: protectionRulesSchema.parse(row.rules), createdAt: row.createdAt, createdByLabel: row.createdByLabel };
}

/** The newest rules of the environment (the open rules, version 0, when it was never protected). */
export async function rulesInForce(db: Tx, environmentId: string): Promise<RulesInForce> {
  const [row] = await db.select().from(protectionRules).where(eq(protectionRules.environmentId, environmentId)).orderBy(desc(protectionRules.version)).limit(1);
  return row ? fromRow(row) : OPEN;
}

/** A given version, for a request judged by it. */
export async function rulesById(db: Tx, rulesId: string | null): Promise<RulesInForce> {
  if (!rulesId) return OPEN;
  const [row] = await db.select().from(protectionRules).where(eq(protectionRules.id, rulesId));
  return row ? fromRow(row) : OPEN;
}

async function requireEnvironment(db: Tx, projectId: string, environmentId: string, lock = false) {
  const query = db.select().from(environments).where(and(eq(environments.id, environmentId), eq(environments.projectId, projectId)));
  const [env] = lock ? await query.for("update") : await query;
  if (!env) throw new NotFoundError("This environment does not exist in this project.", "environmentId");
  return env;
}

export async function getProtection(db: Database, projectId: string, environmentId: string) {
  const env = await requireEnvironment(db, projectId, environmentId);
  const current = await rulesInForce(db, env.id);
  const windows = await listFreezeWindows(db, projectId, env.id);
  const now = new Date();
  const parsed = windows.map(toFreezeWindow);
  const active = activeFreeze(parsed, now);
  return {
    environment: { id: env.id, name: env.name, position: env.position },
    ...current,
    freezeWindows: windows,
    freeze: active ? { until: active.until, refuses: active.refuses, windows: active.windows.map((w) => w.name) } : null,
    nextFreeze: (() => {
      const next = nextFreeze(parsed, now);
      return next ? { name: next.window.name, start: next.start } : null;
    })(),
  };
}

/**
 * Saves a new version of the environment's rules (the pending requests keep theirs). Audited
 * with what changed; turning separation of duties off is its own action, so an auditor finds it.
 */
export async function setProtectionRules(db: Database, actor: Actor, input: { projectId: string; environmentId: string; rules: unknown }): Promise<RulesInForce> {
  const parsed = protectionRulesSchema.safeParse(input.rules);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(issue.message, ["rules", ...issue.path].join("."));
  }
  const rules = parsed.data;
  return db.transaction(async (tx) => {
    const env = await requireEnvironment(tx, input.projectId, input.environmentId, true);
    await assertApproversExist(tx, input.projectId, rules);
    const before = await rulesInForce(tx, env.id);
    const changes = describeRuleChanges(before.rules, rules);
    if (changes.length === 0) return before;
    const [row] = await tx
      .insert(protectionRules)
      .values({ projectId: input.projectId, environmentId: env.id, version: before.version + 1, rules, createdBy: actor.userId, createdByLabel: actor.label })
      .returning();
    const separationOff = before.rules.separationOfDuties && !rules.separationOfDuties;
    await recordAudit(tx, actor, {
      action: separationOff ? "environment.protection.separation_of_duties_off" : "environment.protection.set",
      objectType: "environment",
      objectId: env.id,
      projectId: input.projectId,
      before: { version: before.version, rules: before.rules },
      after: { version: row.version, rules, changes, environment: env.name },
    });
    return fromRow(row);
  });
}

/** Named approvers must be members and named groups must exist, so a stage can be met. */
async function assertApproversExist(tx: Tx, projectId: string, rules: ProtectionRules) {
  const userIds = [...new Set(rules.stages.flatMap((s) => s.approvers.users))];
  if (userIds.length) {
    const members = await tx.select({ userId: projectMembers.userId }).from(projectMembers).where(and(eq(projectMembers.projectId, projectId), inArray(projectMembers.userId, userIds)));
    const admins = await tx.select({ id: users.id }).from(users).where(and(inArray(users.id, userIds), eq(users.isAdmin, true)));
    const known = new Set([...members.map((m) => m.userId), ...admins.map((a) => a.id)]);
    const missing = userIds.filter((id) => !known.has(id));
    if (missing.length) throw new InvalidInputError(`Named approvers must be members of the project; ${missing.length === 1 ? "one is" : `${missing.length} are`} not.`, "rules.stages");
  }
  const groupNames = [...new Set(rules.stages.flatMap((s) => s.approvers.groups))];
  if (groupNames.length) {
    const groups = await tx.select({ name: approverGroups.name }).from(approverGroups).where(and(eq(approverGroups.projectId, projectId), inArray(approverGroups.name, groupNames)));
    const missing = groupNames.filter((g) => !groups.some((x) => x.name === g));
    if (missing.length) throw new InvalidInputError(`There is no approver group ${missing.map((m) => `"${m}"`).join(", ")} in this project; create it first.`, "rules.stages");
  }
}

export async function listRuleVersions(db: Database, projectId: string, environmentId: string) {
  await requireEnvironment(db, projectId, environmentId);
  const rows = await db.select().from(protectionRules).where(eq(protectionRules.environmentId, environmentId)).orderBy(desc(protectionRules.version)).limit(100);
  return rows.map(fromRow);
}

// ---- Approver groups ----------------------------------------------------------------------

export async function listApproverGroups(db: Tx, projectId: string) {
  const groups = await db.select().from(approverGroups).where(eq(approverGroups.projectId, projectId)).orderBy(asc(approverGroups.name));
  if (groups.length === 0) return [];
  const members = await db
    .select({ groupId: approverGroupMembers.groupId, userId: users.id, email: users.email, name: users.name })
    .from(approverGroupMembers)
    .innerJoin(users, eq(users.id, approverGroupMembers.userId))
    .where(inArray(approverGroupMembers.groupId, groups.map((g) => g.id)));
  return groups.map((g) => ({ ...g, members: members.filter((m) => m.groupId === g.id).map(({ groupId: _g, ...m }) => m) }));
}

/** Creates or replaces a group's members (an empty list deletes the group). */
export async function setApproverGroup(db: Database, actor: Actor, input: { projectId: string; name: string; userIds: string[] }) {
  const name = input.name.trim();
  if (!/^[a-z0-9][a-z0-9._-]{0,79}$/i.test(name)) throw new InvalidInputError("A group name uses letters, digits, dots, dashes and underscores (up to 80).", "name");
  return db.transaction(async (tx) => {
    const userIds = [...new Set(input.userIds)];
    if (userIds.length) {
      const members = await tx.select({ userId: projectMembers.userId }).from(projectMembers).where(and(eq(projectMembers.projectId, input.projectId), inArray(projectMembers.userId, userIds)));
      if (members.length !== userIds.length) throw new InvalidInputError("Every member of an approver group must be a member of the project.", "userIds");
    }
    const [existing] = await tx.select().from(approverGroups).where(and(eq(approverGroups.projectId, input.projectId), eq(approverGroups.name, name))).for("update");
    const before = existing ? (await tx.select({ userId: approverGroupMembers.userId }).from(approverGroupMembers).where(eq(approverGroupMembers.groupId, existing.id))).map((m) => m.userId).sort() : null;
    let groupId = existing?.id ?? null;
    if (userIds.length === 0) {
      if (existing) await tx.delete(approverGroups).where(eq(approverGroups.id, existing.id));
    } else {
      if (!groupId) [{ id: groupId }] = await tx.insert(approverGroups).values({ projectId: input.projectId, name }).returning({ id: approverGroups.id });
      await tx.delete(approverGroupMembers).where(eq(approverGroupMembers.groupId, groupId!));
      await tx.insert(approverGroupMembers).values(userIds.map((userId) => ({ groupId: groupId!, userId })));
    }
    await recordAudit(tx, actor, {
      action: userIds.length === 0 ? "approver_group.delete" : "approver_group.set",
      objectType: "approver_group",
      objectId: groupId,
      projectId: input.projectId,
      before: before ? { name, members: before } : null,
      after: userIds.length ? { name, members: [...userIds].sort() } : null,
    });
    return { name, members: userIds };
  });
}

/** The names of the project's approver groups each of these people is in. */
export async function groupsOf(db: Tx, projectIds: string[], userId: string): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (projectIds.length === 0) return result;
  const rows = await db
    .select({ projectId: approverGroups.projectId, name: approverGroups.name })
    .from(approverGroupMembers)
    .innerJoin(approverGroups, eq(approverGroups.id, approverGroupMembers.groupId))
    .where(and(eq(approverGroupMembers.userId, userId), inArray(approverGroups.projectId, projectIds)));
  for (const row of rows) result.set(row.projectId, [...(result.get(row.projectId) ?? []), row.name]);
  return result;
}

// ---- Freeze windows -----------------------------------------------------------------------

export function toFreezeWindow(row: FreezeWindowRow): FreezeWindow {
  const common = { id: row.id, name: row.name, mode: row.mode };
  return row.kind === "once"
    ? { ...common, kind: "once", startsAt: row.startsAt!, endsAt: row.endsAt! }
    : { ...common, kind: "recurring", cron: row.cron!, timezone: row.timezone!, durationMinutes: row.durationMinutes! };
}

/** The windows that apply to an environment: its own and the project-wide ones. */
export async function listFreezeWindows(db: Tx, projectId: string, environmentId?: string | null): Promise<FreezeWindowRow[]> {
  return db
    .select()
    .from(freezeWindows)
    .where(and(eq(freezeWindows.projectId, projectId), environmentId ? or(isNull(freezeWindows.environmentId), eq(freezeWindows.environmentId, environmentId)) : undefined))
    .orderBy(asc(freezeWindows.createdAt));
}

export async function addFreezeWindow(db: Database, actor: Actor, input: { projectId: string; environmentId?: string | null; window: unknown }): Promise<FreezeWindowRow> {
  const parsed = freezeWindowSchema.safeParse(input.window);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(issue.message, ["window", ...issue.path].join("."));
  }
  const w: FreezeWindowInput = parsed.data;
  return db.transaction(async (tx) => {
    const env = input.environmentId ? await requireEnvironment(tx, input.projectId, input.environmentId) : null;
    const [row] = await tx
      .insert(freezeWindows)
      .values({
        projectId: input.projectId,
        environmentId: env?.id ?? null,
        name: w.name,
        kind: w.kind,
        mode: w.mode,
        startsAt: w.kind === "once" ? w.startsAt : null,
        endsAt: w.kind === "once" ? w.endsAt : null,
        cron: w.kind === "recurring" ? w.cron : null,
        timezone: w.kind === "recurring" ? w.timezone : null,
        durationMinutes: w.kind === "recurring" ? w.durationMinutes : null,
        createdBy: actor.userId,
      })
      .returning();
    await recordAudit(tx, actor, { action: "freeze_window.create", objectType: "freeze_window", objectId: row.id, projectId: input.projectId, after: { ...w, environment: env?.name ?? "all environments", environmentId: env?.id ?? null } });
    return row;
  });
}

/** Removing a window lets deployments it held start (the caller re-judges them). */
export async function removeFreezeWindow(db: Database, actor: Actor, input: { projectId: string; freezeWindowId: string }): Promise<FreezeWindowRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx.delete(freezeWindows).where(and(eq(freezeWindows.id, input.freezeWindowId), eq(freezeWindows.projectId, input.projectId))).returning();
    if (!row) throw new NotFoundError("This freeze window does not exist in this project.", "freezeWindowId");
    await recordAudit(tx, actor, { action: "freeze_window.delete", objectType: "freeze_window", objectId: row.id, projectId: input.projectId, before: row });
    return row;
  });
}
