import { and, asc, eq, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { projectMembers, users } from "@/db/schema";
import type { ProjectRole } from "@/server/schemas/project";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { ConflictError, NotFoundError } from "./errors";

/** The person's role in the project, or null when they are not a member. */
export async function findMemberRole(db: Database, projectId: string, userId: string): Promise<ProjectRole | null> {
  const [row] = await db
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
  return row?.role ?? null;
}

export function listMembers(db: Database, projectId: string) {
  return db
    .select({ userId: users.id, email: users.email, name: users.name, role: projectMembers.role, addedAt: projectMembers.addedAt })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(eq(projectMembers.projectId, projectId))
    .orderBy(asc(users.name));
}

export async function addMember(db: Database, actor: Actor, input: { projectId: string; email: string; role: ProjectRole }) {
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.email, input.email));
    if (!user) {
      throw new NotFoundError(
        `No one with the email ${input.email} has signed in to Slipway yet. Ask them to sign in once, then add them.`,
        "email",
      );
    }
    const existing = await roleOf(tx, input.projectId, user.id);
    if (existing) throw new ConflictError(`${input.email} is already a member (${existing}).`, "email");
    await tx.insert(projectMembers).values({ projectId: input.projectId, userId: user.id, role: input.role });
    await recordAudit(tx, actor, {
      action: "member.add",
      objectType: "member",
      objectId: user.id,
      projectId: input.projectId,
      after: { email: user.email, role: input.role },
    });
    return { userId: user.id, email: user.email, name: user.name, role: input.role };
  });
}

export async function updateMemberRole(db: Database, actor: Actor, input: { projectId: string; userId: string; role: ProjectRole }) {
  return db.transaction(async (tx) => {
    const before = await lockedRole(tx, input.projectId, input.userId);
    if (before === "admin" && input.role !== "admin") await assertAnotherAdmin(tx, input.projectId);
    await tx
      .update(projectMembers)
      .set({ role: input.role })
      .where(and(eq(projectMembers.projectId, input.projectId), eq(projectMembers.userId, input.userId)));
    await recordAudit(tx, actor, {
      action: "member.update_role",
      objectType: "member",
      objectId: input.userId,
      projectId: input.projectId,
      before: { role: before },
      after: { role: input.role },
    });
  });
}

export async function removeMember(db: Database, actor: Actor, input: { projectId: string; userId: string }) {
  return db.transaction(async (tx) => {
    const before = await lockedRole(tx, input.projectId, input.userId);
    if (before === "admin") await assertAnotherAdmin(tx, input.projectId);
    await tx
      .delete(projectMembers)
      .where(and(eq(projectMembers.projectId, input.projectId), eq(projectMembers.userId, input.userId)));
    await recordAudit(tx, actor, {
      action: "member.remove",
      objectType: "member",
      objectId: input.userId,
      projectId: input.projectId,
      before: { role: before },
    });
  });
}

async function roleOf(tx: Tx, projectId: string, userId: string): Promise<ProjectRole | null> {
  const [row] = await tx
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
  return row?.role ?? null;
}

/** Locks the project's member rows so two concurrent demotions cannot both pass the last-admin check. */
async function lockedRole(tx: Tx, projectId: string, userId: string): Promise<ProjectRole> {
  await tx.execute(sql`select 1 from ${projectMembers} where ${projectMembers.projectId} = ${projectId} for update`);
  const role = await roleOf(tx, projectId, userId);
  if (!role) throw new NotFoundError("That person is not a member of this project.", "userId");
  return role;
}

async function assertAnotherAdmin(tx: Tx, projectId: string) {
  const admins = await tx
    .select({ userId: projectMembers.userId })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, "admin")));
  if (admins.length <= 1) {
    throw new ConflictError("A project needs at least one admin: make someone else admin first.", "role");
  }
}
