import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database, Tx } from "@/db/client";
import { environments, jobs, runs, secrets, users } from "@/db/schema";
import { secretNameSchema, secretValueSchema } from "@/server/schemas/secret";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { decryptText, DecryptionError, encryptText } from "./crypto";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";

export type SecretScope = "project" | "environment";

/** What anyone may see of a secret: never its value. */
export type SecretSummary = {
  id: string;
  name: string;
  scope: SecretScope;
  environmentId: string | null;
  environmentName: string | null;
  updatedAt: Date;
  updatedBy: { id: string; name: string; email: string } | null;
};

type ScopeRef = { projectId: string; environmentId?: string | null };

/** Creates the secret, or replaces the value of the one with this name in this scope. */
export async function setSecret(
  db: Database,
  key: Buffer,
  actor: Actor,
  input: ScopeRef & { name: string; value: string },
): Promise<SecretSummary> {
  const name = parseField(secretNameSchema, input.name, "name");
  const value = parseField(secretValueSchema, input.value, "value");
  const environmentId = input.environmentId ?? null;
  const { projectId } = input;
  const id = await db.transaction(async (tx) => {
    const environmentName = await environmentNameOf(tx, projectId, environmentId);
    const encrypted = encryptText(key, value, secretContext(projectId, environmentId, name));
    const values = { projectId, environmentId, name, encrypted, updatedBy: actor.userId, updatedAt: new Date() };
    // No conflict target: the unique index is on an expression, and any clash means "it exists".
    const [created] = await tx.insert(secrets).values(values).onConflictDoNothing().returning({ id: secrets.id });
    let row = created;
    if (!row) {
      [row] = await tx.update(secrets).set(values).where(sameScope(projectId, environmentId, name)).returning({ id: secrets.id });
      if (!row) throw new ConflictError(`The secret "${name}" was changed by someone else at the same moment; save it again.`, "name");
    }
    await recordAudit(tx, actor, {
      action: "secret.set",
      objectType: "secret",
      objectId: row.id,
      projectId,
      // The name and where it applies; the value never reaches the audit trail.
      after: { name, scope: environmentId ? "environment" : "project", environment: environmentName, replaced: !created },
    });
    return row.id;
  });
  const summary = (await listSecrets(db, projectId)).find((s) => s.id === id);
  if (!summary) throw new NotFoundError(`The secret "${name}" was deleted right after it was saved.`);
  return summary;
}

export async function deleteSecret(db: Database, actor: Actor, input: ScopeRef & { name: string }): Promise<void> {
  const name = parseField(secretNameSchema, input.name, "name");
  const environmentId = input.environmentId ?? null;
  const { projectId } = input;
  await db.transaction(async (tx) => {
    const environmentName = await environmentNameOf(tx, projectId, environmentId);
    const [row] = await tx.delete(secrets).where(sameScope(projectId, environmentId, name)).returning({ id: secrets.id });
    const where = environmentName ? `the environment "${environmentName}"` : "this project";
    if (!row) throw new NotFoundError(`There is no secret "${name}" in ${where}; it may have been deleted already.`, "name");
    await recordAudit(tx, actor, {
      action: "secret.delete",
      objectType: "secret",
      objectId: row.id,
      projectId,
      before: { name, scope: environmentId ? "environment" : "project", environment: environmentName },
    });
  });
}

/** Names, scopes and who changed them last, by name with project-wide secrets first. */
export async function listSecrets(db: Database, projectId: string): Promise<SecretSummary[]> {
  const rows = await db
    .select({
      id: secrets.id,
      name: secrets.name,
      environmentId: secrets.environmentId,
      environmentName: environments.name,
      updatedAt: secrets.updatedAt,
      userId: users.id,
      userName: users.name,
      userEmail: users.email,
    })
    .from(secrets)
    .leftJoin(environments, eq(environments.id, secrets.environmentId))
    .leftJoin(users, eq(users.id, secrets.updatedBy))
    .where(eq(secrets.projectId, projectId))
    .orderBy(asc(secrets.name), sql`${environments.position} asc nulls first`);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scope: r.environmentId ? "environment" : "project",
    environmentId: r.environmentId,
    environmentName: r.environmentName,
    updatedAt: r.updatedAt,
    updatedBy: r.userId ? { id: r.userId, name: r.userName ?? "", email: r.userEmail ?? "" } : null,
  }));
}

/**
 * The decrypted secrets a job gets as environment variables: the project's,
 * overridden by its environment's. The read is audited once per job, in the
 * same transaction, so no value leaves without a record of who got it. Runs
 * that may not see secrets (pull requests from forks) get none.
 */
export async function loadSecretsForJob(
  db: Database,
  key: Buffer,
  actor: Actor,
  input: ScopeRef & { runId: string; jobId: string },
): Promise<Record<string, string>> {
  const { projectId, runId, jobId } = input;
  const environmentId = input.environmentId ?? null;
  return db.transaction(async (tx) => {
    const [run] = await tx
      .select({ projectId: runs.projectId, secretsAllowed: runs.secretsAllowed })
      .from(jobs)
      .innerJoin(runs, eq(runs.id, jobs.runId))
      .where(and(eq(jobs.id, jobId), eq(runs.id, runId)));
    if (!run || run.projectId !== projectId) throw new NotFoundError("This job is not part of that run of this project; secrets are only handed to its own jobs.");
    if (!run.secretsAllowed) return {};
    const rows = await tx
      .select({ name: secrets.name, environmentId: secrets.environmentId, encrypted: secrets.encrypted })
      .from(secrets)
      .where(and(eq(secrets.projectId, projectId), environmentId ? or(isNull(secrets.environmentId), eq(secrets.environmentId, environmentId)) : isNull(secrets.environmentId)));
    const values: Record<string, string> = {};
    // Project-wide first, so the environment's value of the same name wins.
    for (const row of [...rows].sort((a, b) => Number(a.environmentId !== null) - Number(b.environmentId !== null))) {
      values[row.name] = decryptSecret(key, projectId, row);
    }
    const names = Object.keys(values).sort();
    if (names.length > 0) {
      await recordAudit(tx, actor, { action: "secret.read", objectType: "job", objectId: jobId, projectId, after: { runId, jobId, environmentId, names } });
    }
    return values;
  });
}

function decryptSecret(key: Buffer, projectId: string, row: { name: string; environmentId: string | null; encrypted: string }): string {
  try {
    return decryptText(key, row.encrypted, secretContext(projectId, row.environmentId, row.name));
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    throw new DecryptionError(
      `The secret "${row.name}" could not be decrypted: it was altered in the database, or saved with a different SLIPWAY_SECRET_KEY. Save its value again.`,
    );
  }
}

/** Binds a ciphertext to its row, so it cannot be moved to another project, environment or name. */
function secretContext(projectId: string, environmentId: string | null, name: string): string {
  return `slipway:secret:${projectId}:${environmentId ?? "project"}:${name}`;
}

function sameScope(projectId: string, environmentId: string | null, name: string) {
  return and(
    eq(secrets.projectId, projectId),
    environmentId ? eq(secrets.environmentId, environmentId) : isNull(secrets.environmentId),
    eq(secrets.name, name),
  );
}

async function environmentNameOf(tx: Tx, projectId: string, environmentId: string | null): Promise<string | null> {
  if (!environmentId) return null;
  const [env] = await tx
    .select({ name: environments.name })
    .from(environments)
    .where(and(eq(environments.id, environmentId), eq(environments.projectId, projectId)));
  if (!env) throw new NotFoundError("This environment does not exist or was deleted.", "environmentId");
  return env.name;
}

/** Services are called by workers too, not only through the API: check the same rules the router does. */
function parseField<S extends z.ZodType>(schema: S, value: unknown, field: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(result.error.issues[0]?.message ?? `The ${field} is not valid.`, field);
  return result.data;
}
