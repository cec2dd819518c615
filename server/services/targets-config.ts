import { and, eq, isNull, ne, or, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { environments, environmentTargets, secrets } from "@/db/schema";
import { deploymentSpecSchema, type DeploymentSpec } from "@/server/deploy/spec";
import { targetSettingsSchema, type TargetSettings, type TargetSettingsInput } from "@/server/schemas/target";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { decryptText, DecryptionError } from "./crypto";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";

/**
 * An environment's target settings (server/schemas/target.ts): where its releases run and
 * the deploy settings every deployment there starts from.
 */

export type StoredTarget = { settings: TargetSettings; updatedAt: Date; updatedBy: string | null };

export async function getTargetSettings(db: Tx, projectId: string, environmentId: string): Promise<StoredTarget | null> {
  await requireEnvironment(db, projectId, environmentId);
  const [row] = await db.select().from(environmentTargets).where(eq(environmentTargets.environmentId, environmentId));
  if (!row) return null;
  return { settings: parseStored(row.settings), updatedAt: row.updatedAt, updatedBy: row.updatedBy };
}

/** The settings a deployment needs; says how to fix it when the environment has none. */
export async function requireTargetSettings(db: Tx, projectId: string, environmentId: string): Promise<TargetSettings> {
  const stored = await getTargetSettings(db, projectId, environmentId);
  if (!stored) {
    throw new InvalidInputError("This environment has no target yet: choose where it runs (docker, local or kubernetes) in its settings first.", "environmentId");
  }
  return stored.settings;
}

export async function setTargetSettings(
  db: Database,
  actor: Actor,
  input: { projectId: string; environmentId: string; settings: TargetSettingsInput },
): Promise<TargetSettings> {
  const settings = parseSettings(input.settings);
  return db.transaction(async (tx) => {
    const env = await requireEnvironment(tx, input.projectId, input.environmentId, { lock: true });
    if (settings.target.kind !== "kubernetes") await assertPortFree(tx, input.environmentId, settings.target.listenPort);
    const [before] = await tx.select().from(environmentTargets).where(eq(environmentTargets.environmentId, env.id));
    await tx
      .insert(environmentTargets)
      .values({ environmentId: env.id, kind: settings.target.kind, settings, updatedBy: actor.userId, updatedAt: new Date() })
      .onConflictDoUpdate({
        target: environmentTargets.environmentId,
        set: { kind: settings.target.kind, settings, updatedBy: actor.userId, updatedAt: new Date() },
      });
    await recordAudit(tx, actor, {
      action: "environment.target.set",
      objectType: "environment",
      objectId: env.id,
      projectId: input.projectId,
      before: before?.settings ?? null,
      after: settings,
    });
    return settings;
  });
}

/**
 * The spec of one deployment: the environment's defaults with `overrides` on top. A different
 * strategy keeps only the defaults' replicas, health check and warm-up, since the other
 * strategy's settings would not fit it; the health check and warm-up merge field by field.
 */
export function resolveDeploymentSpec(defaults: DeploymentSpec, overrides?: Record<string, unknown> | null): DeploymentSpec {
  if (!overrides || Object.keys(overrides).length === 0) return defaults;
  const sameStrategy = overrides.strategy === undefined || overrides.strategy === defaults.strategy;
  const base: Record<string, unknown> = sameStrategy ? { ...defaults } : { replicas: defaults.replicas, healthCheck: defaults.healthCheck, warmUp: defaults.warmUp };
  const healthCheck = { ...defaults.healthCheck, ...((overrides.healthCheck as Record<string, unknown> | undefined) ?? {}) };
  const warmUp = { ...defaults.warmUp, ...((overrides.warmUp as Record<string, unknown> | undefined) ?? {}) };
  const parsed = deploymentSpecSchema.safeParse({ ...base, ...overrides, healthCheck, warmUp });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message));
    throw new InvalidInputError(`The deploy settings are not valid: ${problems.join("; ")}`, "overrides");
  }
  return parsed.data;
}

/**
 * A rollback's spec: blue-green whatever the environment's strategy, with its replicas, health
 * check and warm-up. The earlier release starts beside the current one and takes all traffic
 * at once when ready, and the current one goes at once: nothing is dropped, nothing waits.
 */
export function rollbackSpec(defaults: DeploymentSpec): DeploymentSpec {
  return { strategy: "blue-green", replicas: defaults.replicas, healthCheck: defaults.healthCheck, warmUp: defaults.warmUp, autoPromote: true, previewChecks: [], scaleDownDelaySeconds: 0 };
}

function parseSettings(input: unknown): TargetSettings {
  const parsed = targetSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(issue.message, ["settings", ...issue.path.map(String)].join("."));
  }
  const { target, strategy } = parsed.data;
  if (target.kind === "kubernetes" && strategy.strategy === "canary" && strategy.steps.some((step) => "analysis" in step)) {
    // The analysis reads the router's per-version metrics, which a cluster's traffic never passes through.
    throw new InvalidInputError("Canary analysis steps need the router's metrics, which Kubernetes targets do not have yet; use setWeight and pause steps.", "settings.strategy.steps");
  }
  return parsed.data;
}

/** Rows were validated on save; parsing again fills defaults added since, and fails loudly on a hand-edited row. */
function parseStored(stored: unknown): TargetSettings {
  const parsed = targetSettingsSchema.safeParse(stored);
  if (!parsed.success) throw new ConflictError(`This environment's target settings are no longer valid (${parsed.error.issues[0].message}); save them again.`);
  return parsed.data;
}

async function assertPortFree(tx: Tx, environmentId: string, port: number) {
  const [taken] = await tx
    .select({ name: environments.name })
    .from(environmentTargets)
    .innerJoin(environments, eq(environments.id, environmentTargets.environmentId))
    .where(and(ne(environmentTargets.environmentId, environmentId), sql`(${environmentTargets.settings}->'target'->>'listenPort')::int = ${port}`));
  if (taken) throw new ConflictError(`Port ${port} already serves the environment "${taken.name}"; choose another listenPort.`, "settings.target.listenPort");
}

async function requireEnvironment(db: Tx, projectId: string, environmentId: string, { lock = false } = {}) {
  const query = db
    .select()
    .from(environments)
    .where(and(eq(environments.id, environmentId), eq(environments.projectId, projectId)));
  const [env] = lock ? await query.for("update") : await query;
  if (!env) throw new NotFoundError("This environment does not exist or was deleted.", "environmentId");
  return env;
}

/**
 * What an environment's instances get as environment variables: its plain variables, then
 * the project's secrets overridden by the environment's (as jobs get them). Decrypted here
 * because a deployment has no job for `loadSecretsForJob` to check against; the read is
 * audited the same way, names only. The ciphertext context must match secrets.ts, which
 * binds each value to its project, environment and name.
 */
export async function loadDeploymentEnv(
  db: Database,
  key: Buffer | null,
  actor: Actor,
  input: { projectId: string; environmentId: string; deploymentId: string },
): Promise<{ variables: Record<string, string>; secrets: Record<string, string> }> {
  const { projectId, environmentId, deploymentId } = input;
  return db.transaction(async (tx) => {
    const [env] = await tx.select({ variables: environments.variables }).from(environments).where(eq(environments.id, environmentId));
    if (!key) return { variables: env?.variables ?? {}, secrets: {} };
    const rows = await tx
      .select({ name: secrets.name, environmentId: secrets.environmentId, encrypted: secrets.encrypted })
      .from(secrets)
      .where(and(eq(secrets.projectId, projectId), or(isNull(secrets.environmentId), eq(secrets.environmentId, environmentId))));
    const values: Record<string, string> = {};
    for (const row of [...rows].sort((a, b) => Number(a.environmentId !== null) - Number(b.environmentId !== null))) {
      try {
        values[row.name] = decryptText(key, row.encrypted, `slipway:secret:${projectId}:${row.environmentId ?? "project"}:${row.name}`);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        throw new InvalidInputError(`The secret "${row.name}" could not be decrypted (altered, or saved with another SLIPWAY_SECRET_KEY); save its value again.`);
      }
    }
    const names = Object.keys(values).sort();
    if (names.length) await recordAudit(tx, actor, { action: "secret.read", objectType: "deployment", objectId: deploymentId, projectId, after: { deploymentId, environmentId, names } });
    return { variables: env?.variables ?? {}, secrets: values };
  });
}
