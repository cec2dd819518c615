import { and, asc, eq, max, ne } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { environments, type Environment } from "@/db/schema";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { isUniqueViolation } from "./pg-errors";

export function listEnvironments(db: Tx, projectId: string): Promise<Environment[]> {
  return db.select().from(environments).where(eq(environments.projectId, projectId)).orderBy(asc(environments.position));
}

const nameTaken = (name: string) => new ConflictError(`This project already has an environment named "${name}".`, "name");

export async function createEnvironment(
  db: Database,
  actor: Actor,
  input: { projectId: string; name: string; description: string },
): Promise<Environment> {
  try {
    return await db.transaction(async (tx) => {
      await assertNameFree(tx, input.projectId, input.name);
      const [{ last }] = await tx
        .select({ last: max(environments.position) })
        .from(environments)
        .where(eq(environments.projectId, input.projectId));
      const [env] = await tx
        .insert(environments)
        .values({ ...input, position: (last ?? -1) + 1 })
        .returning();
      await recordAudit(tx, actor, {
        action: "environment.create",
        objectType: "environment",
        objectId: env.id,
        projectId: input.projectId,
        after: { name: env.name, description: env.description, position: env.position },
      });
      return env;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

export async function updateEnvironment(
  db: Database,
  actor: Actor,
  input: { projectId: string; environmentId: string; name?: string; description?: string; variables?: Record<string, string> },
): Promise<Environment> {
  const { projectId, environmentId, ...sent } = input;
  const changes = Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== undefined)) as typeof sent;
  try {
    return await db.transaction(async (tx) => {
      const before = await lockEnvironment(tx, projectId, environmentId);
      // A save with nothing in it changes nothing (and an empty UPDATE is an error).
      if (Object.keys(changes).length === 0) return before;
      if (changes.name && changes.name !== before.name) await assertNameFree(tx, projectId, changes.name, environmentId);
      const [after] = await tx.update(environments).set(changes).where(eq(environments.id, environmentId)).returning();
      const keys = Object.keys(changes) as (keyof typeof changes)[];
      await recordAudit(tx, actor, {
        action: "environment.update",
        objectType: "environment",
        objectId: environmentId,
        projectId,
        before: Object.fromEntries(keys.map((k) => [k, before[k]])),
        after: Object.fromEntries(keys.map((k) => [k, after[k]])),
      });
      return after;
    });
  } catch (error) {
    if (isUniqueViolation(error) && changes.name) throw nameTaken(changes.name);
    throw error;
  }
}

/** Sets the promotion order; the list must name every environment of the project exactly once. */
export async function reorderEnvironments(
  db: Database,
  actor: Actor,
  { projectId, environmentIds }: { projectId: string; environmentIds: string[] },
): Promise<Environment[]> {
  return db.transaction(async (tx) => {
    const current = await tx
      .select()
      .from(environments)
      .where(eq(environments.projectId, projectId))
      .orderBy(asc(environments.position))
      .for("update");
    const known = new Set(current.map((e) => e.id));
    if (new Set(environmentIds).size !== environmentIds.length || environmentIds.length !== known.size || !environmentIds.every((id) => known.has(id))) {
      throw new InvalidInputError("The new order must list every environment of this project exactly once; reload and try again.", "environmentIds");
    }
    for (const [position, id] of environmentIds.entries()) {
      await tx.update(environments).set({ position }).where(eq(environments.id, id));
    }
    const names = new Map(current.map((e) => [e.id, e.name]));
    await recordAudit(tx, actor, {
      action: "environment.reorder",
      objectType: "project",
      objectId: projectId,
      projectId,
      before: { order: current.map((e) => e.name) },
      after: { order: environmentIds.map((id) => names.get(id)) },
    });
    return listEnvironments(tx, projectId);
  });
}

/** What deleting an environment takes with it, for the confirmation dialog. */
export async function describeEnvironmentDeletion(db: Database, projectId: string, environmentId: string) {
  const env = await db.query.environments.findFirst({
    where: and(eq(environments.id, environmentId), eq(environments.projectId, projectId)),
  });
  if (!env) throw new NotFoundError("This environment does not exist or was deleted.");
  return { name: env.name, variableCount: Object.keys(env.variables).length };
}

export async function deleteEnvironment(
  db: Database,
  actor: Actor,
  { projectId, environmentId, confirmName }: { projectId: string; environmentId: string; confirmName: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const env = await lockEnvironment(tx, projectId, environmentId);
    if (confirmName.trim() !== env.name) {
      throw new InvalidInputError(`Type the environment's name, "${env.name}", to confirm.`, "confirmName");
    }
    await tx.delete(environments).where(eq(environments.id, environmentId));
    // Close the gap so positions stay 0..n-1.
    const rest = await tx.select().from(environments).where(eq(environments.projectId, projectId)).orderBy(asc(environments.position));
    for (const [position, e] of rest.entries()) {
      if (e.position !== position) await tx.update(environments).set({ position }).where(eq(environments.id, e.id));
    }
    await recordAudit(tx, actor, {
      action: "environment.delete",
      objectType: "environment",
      objectId: environmentId,
      projectId,
      before: { name: env.name, description: env.description, position: env.position, variables: Object.keys(env.variables) },
    });
  });
}

async function lockEnvironment(tx: Tx, projectId: string, environmentId: string): Promise<Environment> {
  const [env] = await tx
    .select()
    .from(environments)
    .where(and(eq(environments.id, environmentId), eq(environments.projectId, projectId)))
    .for("update");
  if (!env) throw new NotFoundError("This environment does not exist or was deleted.");
  return env;
}

async function assertNameFree(tx: Tx, projectId: string, name: string, exceptId?: string) {
  const [taken] = await tx
    .select({ id: environments.id })
    .from(environments)
    .where(and(eq(environments.projectId, projectId), eq(environments.name, name), exceptId ? ne(environments.id, exceptId) : undefined));
  if (taken) throw nameTaken(name);
}
