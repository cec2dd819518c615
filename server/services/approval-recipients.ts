import { eq, inArray } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { approverGroupMembers, approverGroups, projectMembers, users, type ApprovalRequest } from "@/db/schema";
import { mayDecide, type Decision, type Person, type ProjectRole, type ProtectionRules } from "@/server/governance";

/**
 * The people who may decide the request now (in its current stage), judged as a decision
 * would be judged (mayDecide): named approvers, members with the stage's role (site
 * administrators count as admins), members of its groups; less those who already decided and
 * those separation of duties excludes. Approval emails go to them.
 */
export async function eligibleApprovers(tx: Tx, request: ApprovalRequest, rules: ProtectionRules, decisions: Decision[]): Promise<string[]> {
  const [members, admins, grouped] = await Promise.all([
    tx.select({ userId: projectMembers.userId, role: projectMembers.role }).from(projectMembers).where(eq(projectMembers.projectId, request.projectId)),
    tx.select({ id: users.id }).from(users).where(eq(users.isAdmin, true)),
    tx
      .select({ userId: approverGroupMembers.userId, group: approverGroups.name })
      .from(approverGroupMembers)
      .innerJoin(approverGroups, eq(approverGroups.id, approverGroupMembers.groupId))
      .where(eq(approverGroups.projectId, request.projectId)),
  ]);
  const named = rules.stages.flatMap((s) => s.approvers.users);
  const candidates = new Set([...members.map((m) => m.userId), ...admins.map((a) => a.id), ...grouped.map((g) => g.userId), ...named]);
  if (candidates.size === 0) return [];
  const people = await tx.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, [...candidates]));
  const roleOf = new Map<string, ProjectRole>(members.map((m) => [m.userId, m.role]));
  for (const a of admins) roleOf.set(a.id, "admin");
  return people
    .filter((p) => {
      const person: Person = { id: p.id, email: p.email, role: roleOf.get(p.id) ?? null, groups: grouped.filter((g) => g.userId === p.id).map((g) => g.group) };
      return mayDecide(person, { stages: rules.stages, decisions, separation: request, separationOfDuties: rules.separationOfDuties }).ok;
    })
    .map((p) => p.id);
}
