import type PgBoss from "pg-boss";
import { rawTransactionClient, type Database, type DbTransaction } from "@/db/client";
import { bossDb, createSender, ensureQueues } from "./boss";

/** What a worker needs to find a job; everything else it reads from the database. */
export type JobMessage = { jobId: string; runId: string; attempt: number };

/** Jobs for workers with these labels go to their own queue; no labels: the shared one. */
export function jobQueueName(labels: string[]): string {
  return labels.length === 0 ? "jobs" : `jobs:${[...new Set(labels)].sort().join(",")}`;
}

/** The label sets a queue name stands for. */
export function queueLabels(name: string): string[] | null {
  if (name === "jobs") return [];
  return name.startsWith("jobs:") ? name.slice(5).split(",") : null;
}

const senders = new WeakMap<object, Promise<PgBoss>>();

/** One pg-boss sender per connection pool, on that pool. */
export function senderFor(db: Database): Promise<PgBoss> {
  let sender = senders.get(db.$client);
  if (!sender) {
    sender = createSender(db.$client);
    senders.set(db.$client, sender);
  }
  return sender;
}

/** Creates the queues before a transaction sends to them (queue creation is not transactional in pg-boss). */
export async function prepareQueues(db: Database, labelSets: string[][]): Promise<void> {
  await ensureQueues(await senderFor(db), [...new Set(labelSets.map(jobQueueName))]);
}

/** Enqueues inside the caller's transaction. */
export async function enqueueJob(db: Database, tx: DbTransaction, job: QueuedJob): Promise<void> {
  await enqueueJobs(db, tx, [job]);
}

type QueuedJob = JobMessage & { labels: string[]; timeoutMinutes: number };

/** Enqueues several jobs inside the caller's transaction with one insert (the jobs a finished job made ready). */
export async function enqueueJobs(db: Database, tx: DbTransaction, batch: QueuedJob[]): Promise<void> {
  if (batch.length === 0) return;
  const boss = await senderFor(db);
  await boss.insert(
    batch.map((job) => ({
      name: jobQueueName(job.labels),
      data: { jobId: job.jobId, runId: job.runId, attempt: job.attempt } satisfies JobMessage,
      // Slipway retries jobs itself (it knows about lost workers); pg-boss only delivers.
      retryLimit: 0,
      // pg-boss's batch insert takes whole seconds; timeout-minutes may be a fraction.
      expireInSeconds: Math.ceil(Math.min(job.timeoutMinutes * 60 + 600, 86_400)),
    })),
    { db: bossDb(rawTransactionClient(tx)) },
  );
}
