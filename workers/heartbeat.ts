import os from "node:os";
import type PgBoss from "pg-boss";
import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { workerHeartbeats } from "@/db/schema";
import { QUEUES } from "@/server/queue/boss";

export const HEARTBEAT_INTERVAL_MS = 10_000;

type Beat = { workerId: string; hostname: string; labels: string[]; startedAt: string; sentAt: string };

/**
 * Each worker sends a heartbeat job every 10 s, and whichever worker takes it
 * records it: a fresh heartbeat proves that the queue delivers work end to end.
 */
export async function startHeartbeat(boss: PgBoss, db: Database, beat: { workerId: string; labels: string[] }) {
  const identity = { ...beat, hostname: os.hostname(), startedAt: new Date().toISOString() };
  const send = () =>
    boss.send(QUEUES.workerHeartbeat, { ...identity, sentAt: new Date().toISOString() } satisfies Beat, { expireInSeconds: 60, retentionSeconds: 300 }).catch((error: Error) => {
      console.error(`could not send heartbeat: ${error.message}`);
    });
  // Send before subscribing: work() fetches at once, so the first beat lands without waiting a poll.
  await send();
  await boss.work<Beat>(QUEUES.workerHeartbeat, { pollingIntervalSeconds: 2 }, async (jobs) => {
    for (const job of jobs) await recordBeat(db, job.data);
  });
  const timer = setInterval(send, HEARTBEAT_INTERVAL_MS);
  return () => clearInterval(timer);
}

async function recordBeat(db: Database, { sentAt, ...beat }: Beat) {
  await db
    .insert(workerHeartbeats)
    .values({ ...beat, startedAt: new Date(beat.startedAt), lastBeatAt: new Date(sentAt) })
    .onConflictDoUpdate({
      target: workerHeartbeats.workerId,
      set: { lastBeatAt: sql`greatest(${workerHeartbeats.lastBeatAt}, excluded.last_beat_at)`, labels: beat.labels },
    });
}
