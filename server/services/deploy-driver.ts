import { and, asc, eq, inArray, isNull, lt, max, or, sql } from "drizzle-orm";
import type PgBoss from "pg-boss";
import { rawTransactionClient, type Database, type DbTransaction, type Tx } from "@/db/client";
import {
  ACTIVE_DEPLOYMENT_PHASES,
  deploymentEvents,
  deployments,
  deploymentSignals,
  environments,
  releases,
  type DeploymentRow,
  type Environment,
  type Release,
} from "@/db/schema";
import { createDeployment, TERMINAL_PHASES, type DeploymentSpec, type Phase, type DeploymentState, type HealthTally, type ManualSignal, type ReconcileResult, type SignalType, type TrafficWeights } from "@/server/deploy";
import { bossDb } from "@/server/queue/boss";
import { senderFor } from "@/server/queue/boss";
import type { TargetSettings } from "@/server/schemas/target";
import { systemActor } from "./actor";
import { noticeDeployment, type DeploymentMoment } from "./deployment-notices";
import { notHeld } from "./governance-held";
import { recordAudit } from "./audit";
import { currentRelease } from "./releases";
import { requireTargetSettings } from "./targets-config";

/**
 * The database side of driving a deployment: the queue that wakes workers, the lease that
 * lets one worker drive it at a time, and the one transaction per reconcile that records
 * what was decided. Workers call these (workers/deployer); the API calls `activate`.
 */

/**
 * A message only says "look at deployment X": the worker that takes it claims the lease and
 * drives the deployment until it ends, so a duplicate, late or second delivery is harmless.
 * The `short` policy keeps one waiting message per key, so every worker's sweep adds no pile.
 */
export const DEPLOYMENT_QUEUE = "deployments";
/** NOTIFY channel: a deployment changed (a signal, a new state); the payload is its id. */
export const DEPLOYMENT_CHANNEL = "slipway_deployments";
export type DriveMessage = { deploymentId: string };

const queueReady = new WeakSet<object>();

export async function ensureDeploymentQueue(boss: PgBoss): Promise<void> {
  if (queueReady.has(boss)) return;
  try {
    if (!(await boss.getQueue(DEPLOYMENT_QUEUE))) await boss.createQueue(DEPLOYMENT_QUEUE, { name: DEPLOYMENT_QUEUE, policy: "short" });
  } catch (error) {
    // Another process creating it at the same moment wins; that is fine.
    if (!(await boss.getQueue(DEPLOYMENT_QUEUE))) throw error;
  }
  queueReady.add(boss);
}

/** Wakes a worker for the deployment, inside `tx` when given; `at` delays it, so a deployment whose driver died still wakes on time. */
export async function enqueueDrive(db: Database, tx: DbTransaction | null, deploymentId: string, at?: Date): Promise<void> {
  const boss = await senderFor(db);
  await ensureDeploymentQueue(boss);
  await boss.send(DEPLOYMENT_QUEUE, { deploymentId } satisfies DriveMessage, {
    singletonKey: at ? `${deploymentId}@${at.getTime()}` : deploymentId,
    startAfter: at,
    retryLimit: 0,
    expireInSeconds: 300,
    ...(tx ? { db: bossDb(rawTransactionClient(tx)) } : {}),
  });
}

/**
 * Starts a deployment that may run now: its stable version is the release the environment
 * serves at this moment (not when it was queued). A release that is already live ends at once.
 */
export async function activate(db: Database, tx: DbTransaction, row: DeploymentRow): Promise<DeploymentRow> {
  const [release] = await tx.select().from(releases).where(eq(releases.id, row.releaseId));
  const current = await currentRelease(tx, row.environmentId);
  if (current?.id === release.id) {
    const [done] = await tx
      .update(deployments)
      .set({ phase: "succeeded", message: `${release.version} is already live`, startedAt: new Date(), finishedAt: new Date(), updatedAt: new Date() })
      .where(eq(deployments.id, row.id))
      .returning();
    await tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${row.id})`);
    await noticeDeployment(db, tx, done, "succeeded", done.message ?? "");
    return done;
  }
  const state = createDeployment({ spec: row.spec as DeploymentSpec, stableVersion: current?.version ?? null, newVersion: release.version });
  const [started] = await tx
    .update(deployments)
    .set({ phase: "pending", state: state as unknown as Record<string, unknown>, previousReleaseId: current?.id ?? null, message: "Waiting for a worker to start it", updatedAt: new Date() })
    .where(eq(deployments.id, row.id))
    .returning();
  await enqueueDrive(db, tx, row.id);
  // Boards and deployment pages show it starting; the worker that drives it hears it too and looks at once.
  await tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${row.id})`);
  return started;
}

/** The oldest deployment waiting in line for the environment starts (those already live end at once, and the next one is tried). */
export async function startNextQueued(db: Database, tx: DbTransaction, environmentId: string): Promise<void> {
  for (;;) {
    const [next] = await tx
      .select()
      .from(deployments)
      // Governance: one held for approval, a freeze or a wait timer is skipped until it clears.
      .where(and(eq(deployments.environmentId, environmentId), eq(deployments.phase, "queued"), notHeld()))
      .orderBy(asc(deployments.createdAt), asc(deployments.id))
      .limit(1)
      .for("update", { skipLocked: true });
    if (!next) return;
    if ((await activate(db, tx, next)).phase === "pending") return;
  }
}

export type DriveContext = {
  deployment: DeploymentRow;
  state: DeploymentState;
  release: Release;
  /** The release serving when it started, or null for the environment's first. */
  previous: Release | null;
  environment: Environment;
  settings: TargetSettings;
};

/** Takes the lease when nobody holds it (or it ran out): the worker then drives the deployment. Null when it is not ours to drive. */
export async function claimDeployment(db: Database, deploymentId: string, driverId: string, leaseMs: number): Promise<DriveContext | null> {
  const [row] = await db
    .update(deployments)
    .set({ driverId, leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(
      and(
        eq(deployments.id, deploymentId),
        inArray(deployments.phase, [...ACTIVE_DEPLOYMENT_PHASES]),
        or(isNull(deployments.driverId), eq(deployments.driverId, driverId), lt(deployments.leaseExpiresAt, sql`now()`)),
      ),
    )
    .returning();
  if (!row || !row.state) return null;
  const [release] = await db.select().from(releases).where(eq(releases.id, row.releaseId));
  const [previous] = row.previousReleaseId ? await db.select().from(releases).where(eq(releases.id, row.previousReleaseId)) : [];
  const [environment] = await db.select().from(environments).where(eq(environments.id, row.environmentId));
  const settings = await requireTargetSettings(db, row.projectId, row.environmentId);
  return { deployment: row, state: row.state as unknown as DeploymentState, release, previous: previous ?? null, environment, settings };
}

/** Extends the lease; false when another worker took the deployment over (this one must stop at once). */
export async function renewLease(db: Tx, deploymentId: string, driverId: string, leaseMs: number): Promise<boolean> {
  const renewed = await db
    .update(deployments)
    .set({ leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(deployments.id, deploymentId), eq(deployments.driverId, driverId)))
    .returning({ id: deployments.id });
  return renewed.length > 0;
}

/** A worker stopping on purpose hands the deployment over at once instead of letting the lease run out. */
export async function releaseLease(db: Database, deploymentId: string, driverId: string): Promise<void> {
  await db
    .update(deployments)
    .set({ driverId: null, leaseExpiresAt: null })
    .where(and(eq(deployments.id, deploymentId), eq(deployments.driverId, driverId)));
}

/** Active deployments nobody drives: never claimed, or their worker's lease ran out. */
export async function findUndriven(db: Database): Promise<string[]> {
  const rows = await db
    .select({ id: deployments.id })
    .from(deployments)
    .where(and(inArray(deployments.phase, [...ACTIVE_DEPLOYMENT_PHASES]), or(isNull(deployments.leaseExpiresAt), lt(deployments.leaseExpiresAt, sql`now()`))));
  return rows.map((r) => r.id);
}

export async function readSignals(db: Tx, deploymentId: string): Promise<ManualSignal[]> {
  const rows = await db.select().from(deploymentSignals).where(eq(deploymentSignals.deploymentId, deploymentId)).orderBy(asc(deploymentSignals.seq));
  return rows.map((r) => ({ seq: r.seq, type: r.type as SignalType, by: r.byLabel }));
}

/** Appends a signal under the deployment's row lock, so two people's signals get distinct sequence numbers. */
export async function appendSignal(tx: DbTransaction, deploymentId: string, type: SignalType, by: { userId: string | null; label: string }): Promise<number> {
  const [{ last }] = await tx.select({ last: max(deploymentSignals.seq) }).from(deploymentSignals).where(eq(deploymentSignals.deploymentId, deploymentId));
  const seq = (last ?? 0) + 1;
  await tx.insert(deploymentSignals).values({ deploymentId, seq, type, byUserId: by.userId, byLabel: by.label });
  await tx.insert(deploymentEvents).values({ deploymentId, kind: "signal", message: `${by.label} asked to ${type}`, data: { seq, type } });
  await tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${deploymentId})`);
  return seq;
}

export type EventInput = { kind: string; message: string; data?: unknown };

export async function recordEvent(db: Tx, deploymentId: string, event: EventInput): Promise<void> {
  await db.insert(deploymentEvents).values({ deploymentId, kind: event.kind, message: event.message, data: event.data ?? null });
}

export type PassRecord = {
  deploymentId: string;
  driverId: string;
  leaseMs: number;
  result: ReconcileResult;
  traffic: TrafficWeights;
  health: Record<string, HealthTally>;
  smokeTest: { status: string; detail?: string } | null;
  events: EventInput[];
  /** False when the same actions were recorded by the pass before: the history says them once. */
  recordActions?: boolean;
  /** Tell listeners (the waiting pipeline job, pages): false for a pass that only renews the lease. */
  notify: boolean;
};

/**
 * Records one reconcile in one transaction: the state and status, what changed, the
 * bookkeeping actions (an automatic rollback, the outcome) with their audit events, and,
 * when it ended, the start of the next deployment in line. Returns false when this worker
 * no longer holds the lease, and then records nothing: it must not act either.
 */
export async function recordPass(db: Database, pass: PassRecord): Promise<boolean> {
  const { result } = pass;
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(deployments).where(eq(deployments.id, pass.deploymentId)).for("update");
    if (!row || row.driverId !== pass.driverId) return false;
    const ended = TERMINAL_PHASES.includes(result.state.phase);
    // The writes below go out together (postgres.js pipelines them on the transaction's
    // connection): a rollback is recorded, and then carried out, a few round trips sooner.
    const writes: Promise<unknown>[] = [];
    writes.push(
      tx
        .update(deployments)
        .set({
          state: result.state as unknown as Record<string, unknown>,
          phase: result.state.phase,
          message: result.status.message,
          reason: result.status.reason,
          step: result.status.step,
          traffic: pass.traffic,
          health: pass.health,
          smokeTest: pass.smokeTest,
          driverId: ended ? null : pass.driverId,
          leaseExpiresAt: ended ? null : sql`now() + ${pass.leaseMs} * interval '1 millisecond'`,
          startedAt: row.startedAt ?? new Date(),
          finishedAt: ended ? new Date() : null,
          updatedAt: new Date(),
        })
        .where(eq(deployments.id, row.id)),
    );
    const events = [...pass.events, ...(pass.recordActions === false ? [] : result.actions.flatMap(actionEvent))];
    if (events.length) writes.push(tx.insert(deploymentEvents).values(events.map((e) => ({ deploymentId: row.id, kind: e.kind, message: e.message, data: e.data ?? null }))));
    if (pass.notify || ended) writes.push(tx.execute(sql`select pg_notify(${DEPLOYMENT_CHANNEL}, ${row.id})`));
    // Audit events one after another: each takes the chain's head from the one before.
    const audits = async () => {
      for (const action of result.actions) {
        const audit = { objectType: "deployment", objectId: row.id, projectId: row.projectId };
        if (action.type === "rollback" && !result.state.rollback?.byPerson) {
          await recordAudit(tx, systemActor, { ...audit, action: "deployment.rollback.automatic", after: { reason: action.reason } });
        }
        if (action.type === "markSucceeded") await recordAudit(tx, systemActor, { ...audit, action: "deployment.succeed", after: { version: result.state.newVersion } });
        if (action.type === "markFailed") await recordAudit(tx, systemActor, { ...audit, action: "deployment.end", after: { phase: result.state.phase, reason: action.reason } });
      }
    };
    writes.push(audits());
    await Promise.all(writes);
    // Hooks and email hear of the start (the first pass) and of the end, and of nothing between.
    if (!row.startedAt) await noticeDeployment(db, tx, row, "started", result.status.message);
    if (ended && !TERMINAL_PHASES.includes(row.phase as Phase)) await noticeDeployment(db, tx, row, result.state.phase as DeploymentMoment, result.status.message);
    if (ended) await startNextQueued(db, tx, row.environmentId);
    return true;
  });
}

function actionEvent(action: ReconcileResult["actions"][number]): EventInput[] {
  switch (action.type) {
    case "startInstances":
      return [{ kind: "action", message: `Start ${action.count} ${action.count === 1 ? "instance" : "instances"} of ${action.version}`, data: action }];
    case "stopInstances":
      return [{ kind: "action", message: `Stop ${action.instanceIds.length} of ${action.version} after draining`, data: action }];
    case "setTraffic":
      return [{ kind: "traffic", message: `Traffic ${describeWeights(action.weights)}`, data: action.weights }];
    case "switchTraffic":
      return [{ kind: "traffic", message: `All traffic to ${action.to}`, data: { [action.to]: 100 } }];
    case "rollback":
      return [{ kind: "rollback", message: `Rolling back: ${action.reason}`, data: { reason: action.reason } }];
    case "runSmokeTest":
      return [{ kind: "action", message: `Smoke-test ${action.version}`, data: action }];
    default:
      return [];
  }
}

export function describeWeights(weights: TrafficWeights): string {
  const parts = Object.entries(weights).map(([version, weight]) => `${version} ${weight}%`);
  return parts.length ? parts.join(", ") : "to nothing";
}
