import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Last sign of life of each worker process, written through a pg-boss job. */
export const workerHeartbeats = pgTable("worker_heartbeats", {
  workerId: text("worker_id").primaryKey(),
  hostname: text("hostname").notNull(),
  labels: jsonb("labels").$type<string[]>().notNull().default([]),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
  lastBeatAt: timestamp("last_beat_at", { withTimezone: true }).notNull(),
});

/** Small facts Slipway keeps about itself, e.g. that the demo project was created. */
export const systemSettings = pgTable("system_settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
