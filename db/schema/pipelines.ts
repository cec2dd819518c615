import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { projects } from "./projects";
import { users } from "./users";

/** Where a project's pipeline lives: `.slipway.yml` in its repository, or revisions stored in Slipway. */
export const pipelineSource = pgEnum("pipeline_source", ["repository", "slipway"]);

/** Per-project engine settings; one row per project, created with defaults on first use. */
export const projectPipelineSettings = pgTable("project_pipeline_settings", {
  projectId: uuid("project_id")
    .primaryKey()
    .references(() => projects.id, { onDelete: "cascade" }),
  source: pipelineSource("source").notNull().default("repository"),
  /** Secret for webhook signatures, encrypted with the installation key (AES-256-GCM, base64). */
  webhookSecretEncrypted: text("webhook_secret_encrypted"),
  /** Poll the repository for new commits every N seconds (0 = off), for git hosts that cannot reach Slipway. */
  pollIntervalSeconds: integer("poll_interval_seconds").notNull().default(0),
  /** Name of the secret holding an https token or ssh deploy key used to check out the repository. */
  checkoutSecret: text("checkout_secret"),
  defaultCpus: text("default_cpus").notNull().default("1"),
  defaultMemoryMb: integer("default_memory_mb").notNull().default(1024),
  /** Last commit seen per branch by polling: { branch: sha }. */
  polledHeads: jsonb("polled_heads").$type<Record<string, string>>().notNull().default({}),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A numbered revision of a pipeline stored in Slipway (written by the YAML page and the visual editor). */
export const pipelineRevisions = pgTable(
  "pipeline_revisions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    yaml: text("yaml").notNull(),
    message: text("message").notNull().default(""),
    /** Node positions on the editor canvas: { jobId: { x, y } }. */
    positions: jsonb("positions").$type<Record<string, { x: number; y: number }>>().notNull().default({}),
    /** True when the YAML validated when it was saved. */
    valid: boolean("valid").notNull().default(true),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("pipeline_revisions_project_number").on(t.projectId, t.number), index("pipeline_revisions_project").on(t.projectId)],
);

export type PipelineRevision = typeof pipelineRevisions.$inferSelect;
export type ProjectPipelineSettings = typeof projectPipelineSettings.$inferSelect;
