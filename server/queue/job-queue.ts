import { sql } from "drizzle-orm";
import type { DbTransaction } from "@/db/client";

/**
 * Pipeline jobs are queued in Slipway's own `jobs` table, not in pg-boss: a
 * job turns `queued` in the transaction that makes it ready, and a worker
 * takes it with one `FOR UPDATE SKIP LOCKED` statement that also claims it.
 * A pg-boss job per pipeline job cost an insert, a fetch and a complete on
 * top of that, which capped the engine below its goal on this machine
 * (pgboss_jobs_per_s in the bench). pg-boss carries all other background work.
 */

/** Jobs for workers with these labels form their own pool; no labels: the shared one. */
export function jobQueueName(labels: string[]): string {
  return labels.length === 0 ? "jobs" : `jobs:${[...new Set(labels)].sort().join(",")}`;
}

/** The label sets a queue name stands for. */
export function queueLabels(name: string): string[] | null {
  if (name === "jobs") return [];
  return name.startsWith("jobs:") ? name.slice(5).split(",") : null;
}

/**
 * Wakes the workers that serve these jobs' pools, inside the transaction
 * that queued them (PostgreSQL delivers the notice at commit, once per pool).
 */
export async function announceQueuedJobs(tx: DbTransaction, labelSets: string[][]): Promise<void> {
  if (labelSets.length === 0) return;
  const pools = [...new Set(labelSets.map(jobQueueName))];
  await tx.execute(sql`select pg_notify('slipway_jobs', pool) from json_array_elements_text(${JSON.stringify(pools)}::json) as pool`);
}
