import { desc, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { workerHeartbeats } from "@/db/schema";
import journal from "@/db/migrations/meta/_journal.json";

/** A worker beats every 10 s; three missed beats mean it is gone. */
export const WORKER_STALE_AFTER_MS = 30_000;

export type CheckResult = { ok: boolean; detail: string; [key: string]: unknown };
export type HealthReport = { ok: boolean; checks: Record<"database" | "migrations" | "worker" | "router", CheckResult> };

export async function checkHealth(db: Database, routerUrl: string): Promise<HealthReport> {
  const database = await timed(async () => {
    await db.execute(sql`select 1`);
  });
  if (!database.ok) {
    const down = { ok: false, detail: "not checked: the database is unreachable" };
    return { ok: false, checks: { database, migrations: down, worker: down, router: await checkRouter(routerUrl) } };
  }
  const [migrations, worker, router] = await Promise.all([checkMigrations(db), checkWorker(db), checkRouter(routerUrl)]);
  const checks = { database, migrations, worker, router };
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}

async function timed(fn: () => Promise<void>): Promise<CheckResult> {
  const started = performance.now();
  try {
    await fn();
    return { ok: true, detail: "reachable", latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { ok: false, detail: `unreachable: ${(error as Error).message}` };
  }
}

async function checkMigrations(db: Database): Promise<CheckResult> {
  const rows = await db.execute<{ applied: number; latest: string | null }>(
    sql`select count(*)::int as applied, max(created_at)::text as latest from drizzle.__drizzle_migrations`,
  );
  const applied = rows[0]?.applied ?? 0;
  const expected = journal.entries.length;
  const latestTag = journal.entries.find((e) => String(e.when) === rows[0]?.latest)?.tag ?? null;
  return {
    ok: applied >= expected,
    detail: applied >= expected ? "up to date" : `${expected - applied} migration(s) not applied; restart Slipway to apply them`,
    version: latestTag,
    applied,
    expected,
  };
}

async function checkWorker(db: Database): Promise<CheckResult> {
  const [last] = await db.select().from(workerHeartbeats).orderBy(desc(workerHeartbeats.lastBeatAt)).limit(1);
  if (!last) return { ok: false, detail: "no worker has reported yet; start one with `npm run worker`" };
  const ageMs = Date.now() - last.lastBeatAt.getTime();
  return {
    ok: ageMs < WORKER_STALE_AFTER_MS,
    detail: ageMs < WORKER_STALE_AFTER_MS ? "alive" : `last heartbeat ${Math.round(ageMs / 1000)} s ago`,
    lastHeartbeat: last.lastBeatAt.toISOString(),
    workerId: last.workerId,
  };
}

async function checkRouter(routerUrl: string): Promise<CheckResult> {
  try {
    const response = await fetch(`${routerUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
    return { ok: response.ok, detail: response.ok ? "serving" : `answered ${response.status}` };
  } catch (error) {
    return { ok: false, detail: `unreachable at ${routerUrl}: ${(error as Error).message}` };
  }
}
