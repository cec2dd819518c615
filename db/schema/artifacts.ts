import { bigint, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { projects } from "./projects";
import { jobs, runs } from "./runs";

/** Files a job uploaded, kept on the run; the bytes live on disk by content hash (a tar archive). */
export const artifacts = pgTable(
  "artifacts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    jobId: uuid("job_id").references(() => jobs.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    digest: text("digest").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    fileCount: bigint("file_count", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("artifacts_run_name").on(t.runId, t.name)],
);

/** Dependency caches by key, per project; the bytes live on disk by content hash. */
export const caches = pgTable(
  "caches",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    digest: text("digest").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("caches_project_key").on(t.projectId, t.key), index("caches_project_created").on(t.projectId, t.createdAt)],
);
