import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { projects } from "./projects";
import { users } from "./users";

export const runStatus = pgEnum("run_status", ["queued", "running", "succeeded", "failed", "cancelled"]);
export const jobStatus = pgEnum("job_status", [
  "pending", // waiting for its needs
  "queued", // ready, in the queue for a worker
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "skipped",
]);
export const runTrigger = pgEnum("run_trigger", ["push", "pull_request", "tag", "manual", "schedule", "api", "poll", "rerun"]);

/** What started a run, as the pipeline's `${{ run.* }}` expressions see it. */
export type RunEvent = {
  ref?: string;
  branch?: string;
  tag?: string;
  sha: string;
  before?: string;
  message?: string;
  author?: { name?: string; email?: string; username?: string };
  commitAuthors?: string[];
  pullRequest?: { number: number; title: string; fromFork: boolean; headRef: string; baseRef: string };
  changedFiles?: string[];
  deliveryId?: string;
};

export const runs = pgTable(
  "runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** Per-project run number shown to people (#12). */
    number: integer("number").notNull(),
    status: runStatus("status").notNull().default("queued"),
    trigger: runTrigger("trigger").notNull(),
    triggeredBy: uuid("triggered_by").references(() => users.id, { onDelete: "set null" }),
    event: jsonb("event").$type<RunEvent>().notNull(),
    inputs: jsonb("inputs").$type<Record<string, string | number | boolean>>().notNull().default({}),
    commitSha: text("commit_sha").notNull(),
    branch: text("branch"),
    tag: text("tag"),
    /** The pipeline exactly as it ran, and where it came from. */
    pipelineYaml: text("pipeline_yaml").notNull(),
    pipelineRevisionId: uuid("pipeline_revision_id"),
    plan: jsonb("plan").notNull(),
    concurrencyGroup: text("concurrency_group"),
    /** Pull requests from forks run without secrets. */
    secretsAllowed: boolean("secrets_allowed").notNull().default(true),
    /** The run this one re-runs, if any. */
    rerunOf: uuid("rerun_of"),
    cancelRequestedAt: timestamp("cancel_requested_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("runs_project_number").on(t.projectId, t.number),
    index("runs_project_created").on(t.projectId, t.createdAt),
    index("runs_concurrency").on(t.projectId, t.concurrencyGroup, t.status),
  ],
);

export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    /** The planned job's key: `build`, `test[node=18]`. */
    key: text("key").notNull(),
    /** The pipeline job it comes from (matrix jobs share it). */
    jobId: text("job_id").notNull(),
    name: text("name").notNull(),
    status: jobStatus("status").notNull().default("pending"),
    needs: text("needs").array().notNull().default([]),
    matrix: jsonb("matrix"),
    runsOn: text("runs_on").array().notNull().default([]),
    attempt: integer("attempt").notNull().default(1),
    maxAttempts: integer("max_attempts").notNull().default(1),
    workerId: text("worker_id"),
    executor: text("executor"),
    exitCode: integer("exit_code"),
    /** Why it failed, was skipped or cancelled, in a sentence for people. */
    reason: text("reason"),
    outputs: jsonb("outputs").$type<Record<string, string>>().notNull().default({}),
    /** Lines of log written so far, so readers know where the end is. */
    logLines: bigint("log_lines", { mode: "number" }).notNull().default(0),
    queuedAt: timestamp("queued_at", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("jobs_run_key").on(t.runId, t.key),
    index("jobs_status_worker").on(t.status, t.workerId),
    // The queue workers claim from, oldest first.
    index("jobs_queued").on(t.queuedAt).where(sql`${t.status} = 'queued'`),
  ],
);

/**
 * Logs are stored in chunks of consecutive lines (one insert per batch keeps
 * up with fast output). `content` holds the lines joined by "\n"; `timestamps`
 * the epoch milliseconds of each line.
 */
export const jobLogChunks = pgTable(
  "job_log_chunks",
  {
    jobId: uuid("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    /** Line number (0-based) of the chunk's first line within the job's log. */
    firstLine: bigint("first_line", { mode: "number" }).notNull(),
    lineCount: integer("line_count").notNull(),
    content: text("content").notNull(),
    timestamps: bigint("timestamps", { mode: "number" }).array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.firstLine] })],
);

/** Each webhook delivery once, so a replayed delivery id starts no second run. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    provider: text("provider").notNull(),
    deliveryId: text("delivery_id").notNull(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    /** accepted (run started), ignored (filters), refused (signature), duplicate */
    outcome: text("outcome").notNull(),
    reason: text("reason").notNull().default(""),
    runId: uuid("run_id"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.deliveryId] }), index("webhook_deliveries_project").on(t.projectId, t.receivedAt)],
);

export type Run = typeof runs.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
