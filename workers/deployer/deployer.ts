import type Dockerode from "dockerode";
import type PgBoss from "pg-boss";
import type postgres from "postgres";
import type { Database } from "@/db/client";
import type { ReconcileResult } from "@/server/deploy";
import type { Actor } from "@/server/services/actor";
import {
  claimDeployment,
  DEPLOYMENT_CHANNEL,
  DEPLOYMENT_QUEUE,
  enqueueDrive,
  ensureDeploymentQueue,
  findUndriven,
  recordPass,
  type DriveContext,
  type DriveMessage,
} from "@/server/services/deploy-driver";
import { DomainError } from "@/server/services/errors";
import { loadDeploymentEnv } from "@/server/services/targets-config";
import { createTarget, TargetUnavailableError, type DeployTarget, type TargetContext } from "@/workers/targets";
import { DeploymentDriver } from "./driver";
import { rerunning } from "../rerun";

export type DeployerOptions = {
  /** Names this worker in leases; the same id the job engine uses. */
  workerId: string;
  dataDir: string;
  /** The router's admin address, http://127.0.0.1:SLIPWAY_ROUTER_PORT. */
  routerUrl: string;
  /** A connection of its own for LISTEN. */
  listen: postgres.Sql;
  /** deriveKey(masterKey, "secrets"); null hands instances the environment's variables only. */
  secretsKey: Buffer | null;
  docker?: Dockerode | null;
  /** How long a driver's claim lasts without renewal; another worker takes over after it. Default 15 s. */
  leaseMs?: number;
  /** How often to look for deployments nobody drives. Default 5 s. */
  sweepMs?: number;
  /** Longest time between two observations of a deployment. Default 500 ms. */
  observeMs?: number;
  /** Tests swap the target (a fake kubernetes API, say). */
  targetFor?: (ctx: DriveContext, target: TargetContext, env: Record<string, string>) => DeployTarget | null;
  onError?: (error: Error) => void;
};

export type Deployer = {
  /** The deployments this worker drives now. */
  readonly drivers: ReadonlyMap<string, DeploymentDriver>;
  /** Re-enqueues deployments nobody drives (also run every `sweepMs`). */
  sweep(): Promise<void>;
  /** `abandon`: stop as a crashing worker would, keeping the leases (tests of recovery); else hand them over. */
  stop(options?: { abandon?: boolean }): Promise<void>;
};

/**
 * The worker side of deployments. The lead calls it from workers/worker.ts beside the job
 * engine: `await registerDeployer(boss, db, { workerId, dataDir, routerUrl, listen, secretsKey, docker })`,
 * and `await deployer.stop()` on shutdown.
 *
 * Messages on the `deployments` queue wake it (LISTEN on pg-boss's insert trigger, with
 * polling as the safety net); it claims the deployment's lease and runs a driver in this
 * process until the deployment ends. A sweep re-enqueues active deployments whose lease ran
 * out, so one whose worker died is resumed by another.
 */
export async function registerDeployer(boss: PgBoss, db: Database, options: DeployerOptions): Promise<Deployer> {
  const leaseMs = options.leaseMs ?? 15_000;
  const onError = options.onError ?? ((error: Error) => console.error(`deployer: ${error.message}`));
  const drivers = new Map<string, DeploymentDriver>();
  const starting = new Set<string>();
  let stopped = false;
  await ensureDeploymentQueue(boss);

  const take = async (deploymentId: string) => {
    if (drivers.has(deploymentId)) return drivers.get(deploymentId)!.poke();
    if (starting.has(deploymentId) || stopped) return;
    starting.add(deploymentId);
    try {
      const ctx = await claimDeployment(db, deploymentId, options.workerId, leaseMs);
      if (!ctx || stopped) return;
      const driver = await startDriver(ctx).catch(async (error: Error) => {
        // A target that cannot be built from the settings fails the deployment; anything else is retried by the sweep.
        if (error instanceof TargetUnavailableError || error instanceof DomainError) await fail(ctx, error.message);
        else throw error;
        return null;
      });
      if (!driver) return;
      drivers.set(deploymentId, driver);
      void driver.done.catch(onError).finally(() => drivers.get(deploymentId) === driver && drivers.delete(deploymentId));
    } finally {
      starting.delete(deploymentId);
    }
  };

  const startDriver = async (ctx: DriveContext) => {
    const { deployment, settings } = ctx;
    const actor: Actor = { userId: null, label: `deployment of ${ctx.release.version} to ${ctx.environment.name}`, ip: null, via: "worker" };
    const loaded = await loadDeploymentEnv(db, options.secretsKey, actor, { projectId: deployment.projectId, environmentId: deployment.environmentId, deploymentId: deployment.id });
    const kubeconfigName = settings.target.kind === "kubernetes" ? settings.target.kubeconfigSecret.toUpperCase() : null;
    const secrets = Object.fromEntries(Object.entries(loaded.secrets).filter(([name]) => name !== kubeconfigName));
    const env = { ...loaded.variables, ...secrets };
    const context: TargetContext = {
      db,
      projectId: deployment.projectId,
      environmentId: deployment.environmentId,
      deploymentId: deployment.id,
      dataDir: options.dataDir,
      routerUrl: options.routerUrl,
      healthCheck: ctx.state.spec.healthCheck,
    };
    const target =
      options.targetFor?.(ctx, context, env) ??
      createTarget(settings.target, context, { docker: options.docker, kubeconfig: kubeconfigName ? (loaded.secrets[kubeconfigName] ?? null) : null });
    return new DeploymentDriver(ctx, {
      db,
      driverId: options.workerId,
      target,
      env,
      leaseMs,
      observeMs: options.observeMs ?? 500,
      enqueueWake: (at) => enqueueDrive(db, null, deployment.id, at),
    });
  };

  const fail = async (ctx: DriveContext, reason: string) => {
    const state = { ...ctx.state, phase: "failed" as const, rollback: { reason, byPerson: false } };
    const result: ReconcileResult = { state, actions: [{ type: "markFailed", reason }], status: { phase: "failed", message: `Failed: ${reason}`, step: null, reason } };
    await recordPass(db, { deploymentId: ctx.deployment.id, driverId: options.workerId, leaseMs, result, traffic: ctx.deployment.traffic, health: {}, smokeTest: null, events: [{ kind: "error", message: reason }], notify: true });
  };

  /** Takes every waiting message. */
  const pumping = rerunning(
    async () => {
      const jobs = await boss.fetch<DriveMessage>(DEPLOYMENT_QUEUE, { batchSize: 20 });
      if (jobs.length) await boss.complete(DEPLOYMENT_QUEUE, jobs.map((j) => j.id));
      await Promise.all(jobs.map((job) => take(job.data.deploymentId).catch(onError)));
    },
    { onError, stopped: () => stopped },
  );
  const pump = pumping.run;

  const sweep = async () => {
    for (const id of await findUndriven(db)) if (!drivers.has(id)) await enqueueDrive(db, null, id);
    await pump();
  };

  const jobs = await options.listen.listen("slipway_jobs", (queue) => queue === DEPLOYMENT_QUEUE && void pump());
  const changes = await options.listen.listen(DEPLOYMENT_CHANNEL, (id) => drivers.get(id)?.poke());
  const timers = [setInterval(() => void pump(), 1_000), setInterval(() => void sweep().catch(onError), options.sweepMs ?? 5_000)];
  void sweep().catch(onError);

  return {
    drivers,
    sweep,
    async stop({ abandon = false } = {}) {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all([jobs.unlisten(), changes.unlisten()].map((p) => p.catch(() => undefined)));
      await pumping.idle();
      await Promise.all([...drivers.values()].map((driver) => (abandon ? driver.halt() : driver.stop())));
    },
  };
}
