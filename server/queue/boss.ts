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
 * Creates pg-boss's schema and its standing queues: run once at
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
    // Pipeline jobs used to be pg-boss jobs announced by this trigger; they announce themselves now (server/queue/job-queue.ts).
    await sql.unsafe(`
      drop trigger if exists slipway_notify_job on pgboss.job;
      drop function if exists pgboss.slipway_notify_job();
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

const senders = new WeakMap<object, Promise<PgBoss>>();

/** One pg-boss sender per connection pool, on that pool. */
export function senderFor(db: { $client: postgres.Sql }): Promise<PgBoss> {
  let sender = senders.get(db.$client);
  if (!sender) {
    sender = createSender(db.$client);
    senders.set(db.$client, sender);
  }
  return sender;
}

/** The worker's pg-boss: maintenance, schedules and heartbeat jobs. */
export async function startBoss(connectionString: string): Promise<PgBoss> {
  // Idle connections stay open (pg's pool closes them after 10 s): the first fetch after a quiet spell is on a job's way to its start.
  const boss = new PgBoss({ connectionString, schema: "pgboss", max: 4, idleTimeoutMillis: 0, application_name: "slipway-worker", migrate: false } as PgBoss.ConstructorOptions);
  boss.on("error", (error) => console.error(`[pg-boss] ${error.message}`));
  await boss.start();
  return boss;
}

/** Per pg-boss (one database each): a process that talks to several databases, as tests and benches do, creates the queues in each. */
const knownQueues = new WeakMap<PgBoss, Map<string, Promise<void>>>();

/**
 * Queues must exist before jobs are sent to them (pg-boss drops a job sent to
 * a missing queue without a word); created once per database and process.
 * Concurrent callers share one attempt: two create_queue calls for the same
 * name deadlock in PostgreSQL (each waits on the other's row in
 * pgboss.queue and lock on it), which a burst of first runs would hit.
 */
export async function ensureQueues(boss: PgBoss, names: string[]): Promise<void> {
  let queues = knownQueues.get(boss);
  if (!queues) knownQueues.set(boss, (queues = new Map()));
  for (const name of names) {
    let known = queues.get(name);
    if (!known) {
      const created = createQueueOnce(boss, name);
      queues.set(name, (known = created));
      created.catch(() => queues.delete(name));
    }
    await known;
  }
}

/** Another process creating the same queue at the same moment can still deadlock with us: the survivor's queue is what we wanted. */
async function createQueueOnce(boss: PgBoss, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (!(await boss.getQueue(name))) await boss.createQueue(name);
      return;
    } catch (error) {
      if (await boss.getQueue(name)) return;
      if (attempt >= 5) throw error;
      // The other transaction may not have committed yet.
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}
