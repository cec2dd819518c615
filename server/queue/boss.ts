import PgBoss from "pg-boss";
import type postgres from "postgres";

export const QUEUES = { workerHeartbeat: "worker-heartbeat", scheduleSync: "schedule-sync", pollProject: "poll-project" } as const;

/**
 * pg-boss's way into our own connection pool or transaction. pg-boss is
 * written for node-postgres, which sends plain objects as JSON text and
 * undefined as null; so do we.
 */
export function bossDb(sql: postgres.Sql | postgres.TransactionSql): PgBoss.Db {
  const param = (value: unknown) =>
    value === undefined
      ? null
      : value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value) ? JSON.stringify(value) : value;
  return {
    executeSql: async (text, values) => ({ rows: await sql.unsafe(text, (values ?? []).map(param) as postgres.ParameterOrJSON<never>[]) }),
  };
}

/**
 * Creates pg-boss's schema and the trigger that wakes workers: run once at
 * start-up (and by the test harness) before any process sends or works.
 */
export async function migrateBoss(connectionString: string): Promise<void> {
  const boss = new PgBoss({ connectionString, schema: "pgboss", max: 1, supervise: false, schedule: false });
  await boss.start();
  await ensureQueues(boss, Object.values(QUEUES));
  await boss.stop({ graceful: false, wait: true });
  const { default: postgresClient } = await import("postgres");
  const sql = postgresClient(connectionString, { max: 1, onnotice: () => undefined });
  try {
    // Workers LISTEN on this channel and fetch the moment a job is inserted; polling stays as the safety net.
    await sql.unsafe(`
      create or replace function pgboss.slipway_notify_job() returns trigger language plpgsql as $$
      begin
        perform pg_notify('slipway_jobs', new.name);
        return null;
      end $$;
      create or replace trigger slipway_notify_job after insert on pgboss.job
        for each row when (new.state = 'created') execute function pgboss.slipway_notify_job();
    `);
  } finally {
    await sql.end();
  }
}

/**
 * A pg-boss that runs on the process's own pool (no second pool) and does no
 * maintenance: for processes that only send and fetch. The worker starts the
 * full one with `startBoss`.
 */
export async function createSender(sql: postgres.Sql): Promise<PgBoss> {
  const boss = new PgBoss({ db: bossDb(sql), schema: "pgboss", supervise: false, schedule: false, migrate: false });
  boss.on("error", (error) => console.error(`[pg-boss] ${error.message}`));
  await boss.start();
  return boss;
}

/** The worker's pg-boss: maintenance, schedules and heartbeat jobs. */
export async function startBoss(connectionString: string): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString, schema: "pgboss", max: 4, application_name: "slipway-worker", migrate: false });
  boss.on("error", (error) => console.error(`[pg-boss] ${error.message}`));
  await boss.start();
  return boss;
}

const knownQueues = new Set<string>();

/** Queues must exist before jobs are sent to them; created once per process. */
export async function ensureQueues(boss: PgBoss, names: string[]): Promise<void> {
  for (const name of names) {
    if (knownQueues.has(name)) continue;
    try {
      if (!(await boss.getQueue(name))) await boss.createQueue(name);
    } catch (error) {
      // Another process creating it at the same moment wins; that is fine.
      if (!(await boss.getQueue(name))) throw error;
    }
    knownQueues.add(name);
  }
}
