import { sql } from "drizzle-orm";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Database } from "@/db/client";
import { jobQueueName } from "@/server/queue/job-queue";

/**
 * Prometheus metrics of the installation. Counts come from the database at
 * scrape time, so every web replica reports the same numbers.
 */
export function createMetricsRegistry(db: Database): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "slipway_web_" });

  new Gauge({
    name: "slipway_projects",
    help: "Projects, by whether they are archived.",
    labelNames: ["archived"],
    registers: [registry],
    async collect() {
      const rows = await db.execute<{ archived: boolean; n: number }>(
        sql`select archived_at is not null as archived, count(*)::int as n from projects group by 1`,
      );
      this.reset();
      for (const r of rows) this.set({ archived: String(r.archived) }, r.n);
    },
  });
  new Gauge({
    name: "slipway_users",
    help: "People who can sign in.",
    registers: [registry],
    async collect() {
      const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from users`);
      this.set(row.n);
    },
  });
  new Gauge({
    name: "slipway_audit_events",
    help: "Events in the audit chain.",
    registers: [registry],
    async collect() {
      const [row] = await db.execute<{ n: number }>(sql`select coalesce(max(seq), 0)::int as n from audit_events`);
      this.set(row.n);
    },
  });
  new Gauge({
    name: "slipway_worker_heartbeat_age_seconds",
    help: "Seconds since each worker last reported.",
    labelNames: ["worker"],
    registers: [registry],
    async collect() {
      const rows = await db.execute<{ worker_id: string; age: number }>(
        sql`select worker_id, extract(epoch from now() - last_beat_at)::float as age from worker_heartbeats where last_beat_at > now() - interval '1 day'`,
      );
      this.reset();
      for (const r of rows) this.set({ worker: r.worker_id }, r.age);
    },
  });
  new Gauge({
    name: "slipway_queue_jobs",
    help: "Pipeline jobs waiting or running per worker pool (runs-on labels), and background jobs per pg-boss queue; scale workers on this.",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      const pools = await db.execute<{ runs_on: string[]; state: string; n: number }>(
        sql`select runs_on, status::text as state, count(*)::int as n from jobs where status in ('queued', 'running') group by 1, 2`,
      );
      const exists = await db.execute(sql`select 1 from information_schema.tables where table_schema = 'pgboss' and table_name = 'job'`);
      const background =
        exists.length === 0
          ? []
          : await db.execute<{ name: string; state: string; n: number }>(
              sql`select name, state::text, count(*)::int as n from pgboss.job where state in ('created', 'retry', 'active') group by 1, 2`,
            );
      this.reset();
      // Pools whose labels differ only in order are one pool.
      const counts = new Map<string, { queue: string; state: string; n: number }>();
      for (const r of pools) {
        const queue = jobQueueName(r.runs_on);
        const entry = counts.get(`${queue} ${r.state}`) ?? { queue, state: r.state, n: 0 };
        entry.n += r.n;
        counts.set(`${queue} ${r.state}`, entry);
      }
      for (const { queue, state, n } of counts.values()) this.set({ queue, state }, n);
      for (const r of background) this.set({ queue: r.name, state: r.state }, r.n);
    },
  });
  return registry;
}
