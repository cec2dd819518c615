import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { environments, projectMembers, projects, type Project } from "@/db/schema";
import { DEFAULT_ENVIRONMENTS } from "@/server/schemas/environment";
import type { CreateProjectInput, ProjectRole, UpdateProjectInput } from "@/server/schemas/project";
import { createProjectInput } from "@/server/schemas/project";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { ConflictError, NotFoundError } from "./errors";
import { isUniqueViolation } from "./pg-errors";

const slugTaken = (slug: string) => new ConflictError(`The slug "${slug}" is already used by another project; choose another.`, "slug");

export async function createProject(db: Database, actor: Actor & { userId: string }, input: CreateProjectInput): Promise<Project> {
  const fields = createProjectInput.parse(input);
  try {
    return await db.transaction(async (tx) => {
      const [existing] = await tx.select({ id: projects.id }).from(projects).where(eq(projects.slug, fields.slug));
      if (existing) throw slugTaken(fields.slug);
      const [project] = await tx.insert(projects).values(fields).returning();
      await tx.insert(projectMembers).values({ projectId: project.id, userId: actor.userId, role: "admin" });
      await tx
        .insert(environments)
        .values(DEFAULT_ENVIRONMENTS.map((name, position) => ({ projectId: project.id, name, position })));
      await recordAudit(tx, actor, {
        action: "project.create",
        objectType: "project",
        objectId: project.id,
        projectId: project.id,
        after: { ...fields, environments: [...DEFAULT_ENVIRONMENTS] },
      });
      return project;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw slugTaken(fields.slug);
    throw error;
  }
}

export type ProjectSummary = Project & { role: ProjectRole | null; environmentCount: number };

/** Projects the person belongs to (every project for site admins), by name. */
export async function listProjects(
  db: Database,
  viewer: { userId: string; isAdmin: boolean },
  { includeArchived = false } = {},
): Promise<ProjectSummary[]> {
  const rows = await db
    .select({ project: projects, role: projectMembers.role, environmentCount: count(environments.id) })
    .from(projects)
    .leftJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, viewer.userId)))
    .leftJoin(environments, eq(environments.projectId, projects.id))
    .where(
      and(
        includeArchived ? undefined : isNull(projects.archivedAt),
        viewer.isAdmin ? undefined : sql`${projectMembers.userId} is not null`,
      ),
    )
    .groupBy(projects.id, projectMembers.role)
    .orderBy(asc(projects.name));
  return rows.map((r) => ({ ...r.project, role: r.role, environmentCount: r.environmentCount }));
}

export async function getProject(db: Database, projectId: string): Promise<Project> {
  const project = await db.query.projects.findFirst({ where: eq(projects.id, projectId) });
  if (!project) throw new NotFoundError("This project does not exist or was deleted.");
  return project;
}

export async function findProjectBySlug(db: Database, slug: string): Promise<Project | undefined> {
  return db.query.projects.findFirst({ where: eq(projects.slug, slug) });
}

export async function updateProject(db: Database, actor: Actor, input: UpdateProjectInput): Promise<Project> {
  const { projectId, ...sent } = input;
  const changes = Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== undefined)) as typeof sent;
  try {
    return await db.transaction(async (tx) => {
      const [before] = await tx.select().from(projects).where(eq(projects.id, projectId)).for("update");
      if (!before) throw new NotFoundError("This project does not exist or was deleted.");
      // A save with nothing in it changes nothing (and an empty UPDATE is an error).
      if (Object.keys(changes).length === 0) return before;
      if (changes.slug && changes.slug !== before.slug) {
        const [taken] = await tx.select({ id: projects.id }).from(projects).where(eq(projects.slug, changes.slug));
        if (taken) throw slugTaken(changes.slug);
      }
      const [after] = await tx.update(projects).set(changes).where(eq(projects.id, projectId)).returning();
      await recordAudit(tx, actor, {
        action: "project.update",
        objectType: "project",
        objectId: projectId,
        projectId,
        before: pick(before, Object.keys(changes)),
        after: pick(after, Object.keys(changes)),
      });
      return after;
    });
  } catch (error) {
    if (isUniqueViolation(error) && changes.slug) throw slugTaken(changes.slug);
    throw error;
  }
}

/** Archiving hides a project from lists and keeps all of its data; unarchiving brings it back. */
export async function setProjectArchived(db: Database, actor: Actor, projectId: string, archived: boolean): Promise<Project> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(projects).where(eq(projects.id, projectId)).for("update");
    if (!before) throw new NotFoundError("This project does not exist or was deleted.");
    if (Boolean(before.archivedAt) === archived) {
      throw new ConflictError(archived ? "This project is already archived." : "This project is not archived.");
    }
    const [after] = await tx
      .update(projects)
      .set({ archivedAt: archived ? new Date() : null })
      .where(eq(projects.id, projectId))
      .returning();
    await recordAudit(tx, actor, {
      action: archived ? "project.archive" : "project.unarchive",
      objectType: "project",
      objectId: projectId,
      projectId,
      before: { archivedAt: before.archivedAt },
      after: { archivedAt: after.archivedAt },
    });
    return after;
  });
}

function pick<T extends object>(row: T, keys: string[]): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, (row as Record<string, unknown>)[k]])) as Partial<T>;
}
