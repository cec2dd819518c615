import type PgBoss from "pg-boss";
import type postgres from "postgres";
import type { Database } from "@/db/client";
import { ensureQueues } from "@/server/queue/boss";
import { sweepGovernance } from "@/server/services/approvals";
import { GOVERNANCE_QUEUE, reconsiderDeployment, type GovernanceMessage } from "@/server/services/governance-gate";
import { deliverDue, NOTIFICATIONS_CHANNEL } from "@/server/services/notifications";
import { rerunning } from "../rerun";

export type GovernanceWorkerOptions = {
  /** A connection of its own for LISTEN (the worker's shared one). */
  listen: postgres.Sql;
  /** How often to run the sweep (expiry, due gates, stale and orphaned requests). Default 15 s. */
  sweepMs?: number;
  /** How often to look for delayed wake-ups that came due. Default 1 s. */
  pollMs?: number;
  /** deriveKey(masterKey, "secrets"): decrypts the hooks' signing secrets. Without it, webhooks are not sent by this worker. */
  secretsKey?: Buffer | null;
  /** SLIPWAY_URL: links in notifications point under it. */
  baseUrl?: string;
  onError?: (error: Error) => void;
};

/**
 * The worker side of governance. The lead wires it in workers/worker.ts beside the deployer:
 * `const governance = await registerGovernance(boss, db, { listen })` and
 * `await governance.stop()` on shutdown.
 *
 * Delayed messages on the `governance` queue (sent when a deployment is held until a freeze
 * ends or its wait timer runs out) re-judge that deployment when they come due; the sweep
 * rejects expired approval requests and catches anything a lost message missed. Outgoing
 * webhooks are sent as they are recorded (NOTIFY) and retried when due.
 */
export async function registerGovernance(boss: PgBoss, db: Database, options: GovernanceWorkerOptions) {
  const onError = options.onError ?? ((error: Error) => console.error(`governance: ${error.message}`));
  await ensureQueues(boss, [GOVERNANCE_QUEUE]);
  let stopped = false;
  const pumping = rerunning(
    async () => {
      const jobs = await boss.fetch<GovernanceMessage>(GOVERNANCE_QUEUE, { batchSize: 20 });
      if (jobs.length) await boss.complete(GOVERNANCE_QUEUE, jobs.map((j) => j.id));
      for (const job of jobs) await reconsiderDeployment(db, job.data.deploymentId).catch(onError);
    },
    { onError, stopped: () => stopped },
  );
  const pump = pumping.run;

  let sweeping: Promise<unknown> | null = null;
  const sweep = () => (sweeping ??= sweepGovernance(db).catch(onError).finally(() => (sweeping = null)));

  const delivering = rerunning(
    async () => {
      // Drain: keep sending while a batch had anything in it.
      while (!stopped) {
        const sent = await deliverDue(db, { key: options.secretsKey!, baseUrl: options.baseUrl ?? "" });
        if (sent.delivered + sent.failed + sent.retrying === 0) break;
      }
    },
    { onError, stopped: () => stopped },
  );
  const deliver = (): Promise<unknown> => (options.secretsKey ? delivering.run() : Promise.resolve());

  const listener = await options.listen.listen("slipway_jobs", (queue) => queue === GOVERNANCE_QUEUE && void pump());
  const notices = await options.listen.listen(NOTIFICATIONS_CHANNEL, () => void deliver());
  const timers = [
    setInterval(() => {
      void pump();
      void deliver();
    }, options.pollMs ?? 1_000),
    setInterval(() => void sweep(), options.sweepMs ?? 15_000),
  ];
  void sweep();

  return {
    pump,
    sweep,
    deliver,
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all([listener.unlisten(), notices.unlisten()].map((p) => p.catch(() => undefined)));
      await pumping.idle();
      await sweeping;
      await delivering.idle();
    },
  };
}
