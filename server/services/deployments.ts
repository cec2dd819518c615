import { and, asc, count, desc, eq, gt, inArray, lt, or, sql } from "drizzle-orm";
import type { Database, DbTransaction } from "@/db/client";
import { ACTIVE_DEPLOYMENT_PHASES, deploymentEvents, deployments, deploymentSignals, environments, releases, type DeploymentRow } from "@/db/schema";
import { TERMINAL_PHASES, type DeploymentSpec, type Phase } from "@/server/deploy";
import type { SignalName } from "@/server/schemas/deployment";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { activate, appendSignal, DEPLOYMENT_CHANNEL } from "./deploy-driver";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { gateDeployment } from "./governance-gate";
import { notHeld } from "./governance-held";
import { deploymentGovernance } from "./governance-outlook";
import { currentRelease, requireRelease } from "./releases";
import { requireTargetSettings, resolveDeploymentSpec, rollbackSpec } from "./targets-config";

/**
 * Deployments as people and pipelines ask for them: deploy, promote, roll back and signal.
 * One deployment at a time per environment: a request while one runs waits in line (oldest
 * first) or is refused, as the environment's `whenBusy` says; a unique index holds the line.
 */

export type DeploymentRequest = {
  projectId: string;
  environmentId: string;
  releaseId: string;
  kind?: "deploy" | "promotion" | "rollback";
  overrides?: Record<string, unknown> | null;
  /** Replaces the environment's defaults entirely (manual rollbacks). */
  spec?: DeploymentSpec;
  runId?: string | null;
  jobId?: string | null;
};

export type RequestedDeployment = DeploymentRow & { position: number | null };

export async function requestDeployment(db: Database, actor: Actor, request: DeploymentRequest): Promise<RequestedDeployment> {
  return db.transaction(async (tx) => {
    // The environment's row serialises requests, so two cannot both find it idle.
    const [env] = await tx
      .select()
      .from(environments)
      .where(and(eq(environments.id, request.environmentId), eq(environments.projectId, request.projectId)))
      .for("update");
    if (!env) throw new NotFoundError("This environment does not exist or was deleted.", "environmentId");
    const settings = await requireTargetSettings(tx, request.projectId, env.id);
    const release = await requireRelease(tx, request.projectId, request.releaseId);
    const spec = request.spec ?? resolveDeploymentSpec(settings.strategy, request.overrides);
    if (settings.target.kind === "kubernetes" && spec.strategy === "canary" && spec.steps.some((s) => "analysis" in s)) {
      // The analysis reads the router's per-version metrics, which a cluster's traffic never passes through.
      throw new InvalidInputError("Canary analysis steps need the router's metrics, which Kubernetes targets do not have yet; use setWeight and pause steps.", "overrides");
    }
    const busy = await tx
      .select({ id: deployments.id })
      .from(deployments)
      // Governance: deployments held for approval, a freeze or a wait timer do not make the environment busy.
      .where(and(eq(deployments.environmentId, env.id), inArray(deployments.phase, ["queued", ...ACTIVE_DEPLOYMENT_PHASES]), notHeld()));
    if (busy.length > 0 && settings.whenBusy === "refuse") {
      throw new ConflictError(`A deployment to ${env.name} is in progress, and ${env.name} refuses new ones until it ends; try again then.`);
    }
    if (busy.length === 0 && (await currentRelease(tx, env.id))?.id === release.id) {
      throw new ConflictError(`${release.version} is already live in ${env.name}.`, "releaseId");
    }
    const kind = request.kind ?? "deploy";
    const [inserted] = await tx
      .insert(deployments)
      .values({
        projectId: request.projectId,
        environmentId: env.id,
        releaseId: release.id,
        kind,
        phase: "queued",
        spec: spec as unknown as Record<string, unknown>,
        message: "Waiting for the deployment before it to end",
        requestedBy: actor.userId,
        requestedByLabel: actor.label,
        runId: request.runId ?? null,
        jobId: request.jobId ?? null,
      })
      .returning();
    // Governance: the environment's protection rules refuse it (throws), hold it (queued, with the reason), or let it go.
    const held = await gateDeployment(db, tx, inserted, actor);
    const row = held ?? (busy.length === 0 ? await activate(db, tx, inserted) : inserted);
    // Boards and pages hear of one that only joined the line too (`activate` announces the others).
    if (row.phase === "queued") await tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${row.id})`);
    await recordAudit(tx, actor, {
      action: kind === "deploy" ? "deployment.create" : `deployment.${kind}`,
      objectType: "deployment",
      objectId: row.id,
      projectId: request.projectId,
      after: { environment: env.name, version: release.version, strategy: spec.strategy, queued: row.phase === "queued" },
    });
    return { ...row, position: row.phase === "queued" ? await positionOf(tx, row) : null };
  });
}

/** Takes a release that succeeded in one environment to the next one in promotion order. */
export async function promoteRelease(db: Database, actor: Actor, input: { projectId: string; releaseId: string; fromEnvironmentId: string }) {
  const release = await requireRelease(db, input.projectId, input.releaseId);
  const [from] = await db.select().from(environments).where(and(eq(environments.id, input.fromEnvironmentId), eq(environments.projectId, input.projectId)));
  if (!from) throw new NotFoundError("This environment does not exist or was deleted.", "fromEnvironmentId");
  const [succeeded] = await db
    .select({ id: deployments.id })
    .from(deployments)
    .where(and(eq(deployments.environmentId, from.id), eq(deployments.releaseId, release.id), eq(deployments.phase, "succeeded")))
    .limit(1);
  if (!succeeded) throw new ConflictError(`${release.version} has not been deployed successfully to ${from.name}, so it cannot be promoted from there.`, "releaseId");
  const [next] = await db
    .select()
    .from(environments)
    .where(and(eq(environments.projectId, input.projectId), gt(environments.position, from.position)))
    .orderBy(asc(environments.position))
    .limit(1);
  if (!next) throw new InvalidInputError(`${from.name} is the last environment in the promotion order; there is nowhere to promote to.`, "fromEnvironmentId");
  return requestDeployment(db, actor, { projectId: input.projectId, environmentId: next.id, releaseId: release.id, kind: "promotion" });
}

/**
 * Puts an earlier release back (the one before the current by default). It runs as a
 * blue-green deployment whatever the environment's strategy: the earlier release starts
 * beside the current one and takes all traffic at once when ready, so nothing is dropped.
 */
export async function rollbackEnvironment(db: Database, actor: Actor, input: { projectId: string; environmentId: string; toReleaseId?: string }) {
  const [env] = await db.select().from(environments).where(and(eq(environments.id, input.environmentId), eq(environments.projectId, input.projectId)));
  if (!env) throw new NotFoundError("This environment does not exist or was deleted.", "environmentId");
  const current = await currentRelease(db, env.id);
  if (!current) throw new ConflictError(`Nothing has been deployed to ${env.name} yet, so there is nothing to roll back.`);
  const target = input.toReleaseId ? await requireRelease(db, input.projectId, input.toReleaseId) : await releaseBefore(db, env.id, current.id);
  if (!target) throw new ConflictError(`${env.name} has no earlier release than ${current.version} to roll back to.`);
  if (target.id === current.id) throw new ConflictError(`${target.version} is already live in ${env.name}.`, "toReleaseId");
  const [active] = await db
    .select({ id: deployments.id })
    .from(deployments)
    .where(and(eq(deployments.environmentId, env.id), inArray(deployments.phase, [...ACTIVE_DEPLOYMENT_PHASES])));
  if (active) throw new ConflictError(`A deployment to ${env.name} is in progress; abort it to return to ${current.version}, then roll back further if needed.`);
  const defaults = (await requireTargetSettings(db, input.projectId, env.id)).strategy;
  return requestDeployment(db, actor, { projectId: input.projectId, environmentId: env.id, releaseId: target.id, kind: "rollback", spec: rollbackSpec(defaults) });
}

/** The newest release that succeeded in the environment before `currentId` did. */
async function releaseBefore(db: Database, environmentId: string, currentId: string) {
  const [row] = await db
    .select({ release: releases })
    .from(deployments)
    .innerJoin(releases, eq(releases.id, deployments.releaseId))
    .where(and(eq(deployments.environmentId, environmentId), eq(deployments.phase, "succeeded"), sql`${deployments.releaseId} <> ${currentId}`))
    .orderBy(desc(deployments.finishedAt))
    .limit(1);
  return row?.release ?? null;
}

/**
 * A person's pause, resume, promoteNow or abort. It is recorded for the worker's next
 * observation (which applies it, or drops it when it no longer applies) and announced on
 * the deployment channel so the worker looks at once. Aborting one still in line cancels it.
 */
export async function signalDeployment(db: Database, actor: Actor, input: { projectId: string; deploymentId: string; type: SignalName }) {
  return db.transaction(async (tx) => {
    const row = await lockDeployment(tx, input.projectId, input.deploymentId);
    const audit = { action: `deployment.${input.type}`, objectType: "deployment", objectId: row.id, projectId: row.projectId };
    if (row.phase === "queued") {
      if (input.type !== "abort") throw new ConflictError("This deployment is waiting in line and has not started; only abort applies to it.");
      const reason = `Cancelled by ${actor.label} before it started`;
      await tx.update(deployments).set({ phase: "aborted", reason, message: reason, finishedAt: new Date(), updatedAt: new Date() }).where(eq(deployments.id, row.id));
      await tx.insert(deploymentEvents).values({ deploymentId: row.id, kind: "signal", message: reason, data: { type: "abort" } });
      await tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${row.id})`);
      await recordAudit(tx, actor, { ...audit, after: { queued: true } });
      return { seq: null };
    }
    if (TERMINAL_PHASES.includes(row.phase as Phase)) throw new ConflictError(`This deployment has already ended (${row.phase.replace("_", " ")}).`);
    const seq = await appendSignal(tx, row.id, input.type, { userId: actor.userId, label: actor.label });
    await recordAudit(tx, actor, { ...audit, after: { seq } });
    return { seq };
  });
}

export async function listDeployments(db: Database, projectId: string, environmentId: string, limit = 50) {
  const rows = await db
    .select({ deployment: deployments, version: releases.version })
    .from(deployments)
    .innerJoin(releases, eq(releases.id, deployments.releaseId))
    .where(and(eq(deployments.projectId, projectId), eq(deployments.environmentId, environmentId)))
    .orderBy(desc(deployments.createdAt))
    .limit(limit);
  const queued = rows.filter((r) => r.deployment.phase === "queued").map((r) => r.deployment).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  return rows.map(({ deployment, version }) => {
    const { state: _state, spec, ...rest } = deployment;
    const position = deployment.phase === "queued" ? queued.findIndex((q) => q.id === deployment.id) + 1 : null;
    return { ...rest, strategy: (spec as { strategy: string }).strategy, version, position };
  });
}

/** Everything the deployment page shows: steps (the history), traffic, analysis verdicts, signals, place in line, what the rules hold it for. */
export async function getDeployment(db: Database, projectId: string, deploymentId: string) {
  const [row] = await db.select().from(deployments).where(and(eq(deployments.id, deploymentId), eq(deployments.projectId, projectId)));
  if (!row) throw new NotFoundError("This deployment does not exist in this project.", "deploymentId");
  const [release] = await db.select().from(releases).where(eq(releases.id, row.releaseId));
  const [previous] = row.previousReleaseId ? await db.select().from(releases).where(eq(releases.id, row.previousReleaseId)) : [];
  const [environment] = await db.select({ id: environments.id, name: environments.name }).from(environments).where(eq(environments.id, row.environmentId));
  const events = await db.select().from(deploymentEvents).where(eq(deploymentEvents.deploymentId, row.id)).orderBy(asc(deploymentEvents.id));
  const signals = await db.select().from(deploymentSignals).where(eq(deploymentSignals.deploymentId, row.id)).orderBy(asc(deploymentSignals.seq));
  return {
    ...row,
    release,
    previousRelease: previous ?? null,
    environment,
    position: row.phase === "queued" ? await positionOf(db, row) : null,
    events,
    analysis: events.filter((e) => e.kind === "analysis"),
    trafficChanges: events.filter((e) => e.kind === "traffic"),
    signals,
    governance: await deploymentGovernance(db, row),
  };
}

/** Place in line: 1 for the next to start. */
async function positionOf(db: Database | DbTransaction, row: DeploymentRow): Promise<number> {
  const [{ ahead }] = await db
    .select({ ahead: count() })
    .from(deployments)
    .where(
      and(
        eq(deployments.environmentId, row.environmentId),
        eq(deployments.phase, "queued"),
        or(lt(deployments.createdAt, row.createdAt), and(eq(deployments.createdAt, row.createdAt), lt(deployments.id, row.id))),
      ),
    );
  return ahead + 1;
}

async function lockDeployment(tx: DbTransaction, projectId: string, deploymentId: string): Promise<DeploymentRow> {
  const [row] = await tx.select().from(deployments).where(and(eq(deployments.id, deploymentId), eq(deployments.projectId, projectId))).for("update");
  if (!row) throw new NotFoundError("This deployment does not exist in this project.", "deploymentId");
  return row;
}
