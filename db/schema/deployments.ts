import { sql } from "drizzle-orm";
import { bigserial, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { environments, projects } from "./projects";
import { runs } from "./runs";
import { users } from "./users";

export const targetKind = pgEnum("target_kind", ["docker", "local", "kubernetes"]);

/**
 * Where an environment's releases run and how they roll out by default: one row per
 * environment, written by the settings form (validated by `targetSettingsSchema` in
 * server/schemas/target.ts, which is the shape of `settings`). An environment without a row
 * cannot be deployed to yet.
 */
export const environmentTargets = pgTable("environment_targets", {
  environmentId: uuid("environment_id")
    .primaryKey()
    .references(() => environments.id, { onDelete: "cascade" }),
  kind: targetKind("kind").notNull(),
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull(),
  updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** What changed since the release before it, for the release page and approvers. */
export type ReleaseChanges = {
  previousReleaseId: string | null;
  previousVersion: string | null;
  fromSha: string | null;
  authors: string[];
  files: string[];
  /** The commits, newest first, at most 50 (absent on releases made before they were kept). */
  commits?: { sha: string; subject: string; author: string; email: string }[];
  /** Where the lists came from: the repository's history, or the run's trigger event when the history could not be read. */
  source: "git" | "event" | "none";
};

/**
 * The immutable output of a run: what to deploy (an image pinned by digest, or a stored
 * artifact for the local target) and where it came from. A trigger in the migration refuses
 * any change except the links to rows that were deleted (run, author), which become null.
 */
export const releases = pgTable(
  "releases",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** Per-project sequence shown to people (release #3). */
    number: integer("number").notNull(),
    /** The label instances and traffic shares are known by, e.g. 1.0.42 or a7c9e1f. */
    version: text("version").notNull(),
    image: text("image"),
    /** sha256:…, a registry digest or, for images that never left the engine, the image id. */
    imageDigest: text("image_digest"),
    artifactName: text("artifact_name"),
    artifactDigest: text("artifact_digest"),
    commitSha: text("commit_sha").notNull(),
    runId: uuid("run_id").references(() => runs.id, { onDelete: "set null" }),
    pipelineRevisionId: uuid("pipeline_revision_id"),
    notes: text("notes").notNull().default(""),
    changes: jsonb("changes").$type<ReleaseChanges>().notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("releases_project_number").on(t.projectId, t.number),
    uniqueIndex("releases_project_version").on(t.projectId, t.version),
    index("releases_run").on(t.runId),
  ],
);

export const deploymentPhase = pgEnum("deployment_phase", [
  /** Waiting in line behind the environment's active deployment. */
  "queued",
  "pending",
  "progressing",
  "paused",
  "rolling_back",
  "succeeded",
  "rolled_back",
  "aborted",
  "failed",
]);

export const ACTIVE_DEPLOYMENT_PHASES = ["pending", "progressing", "paused", "rolling_back"] as const;

export const deploymentKind = pgEnum("deployment_kind", ["deploy", "promotion", "rollback"]);

/**
 * One release moving onto one environment. `state` is server/deploy's DeploymentState (null
 * while queued: the stable version is only known when it starts); the worker driving it holds
 * a lease (`driverId`, `leaseExpiresAt`) so a second worker resumes it when the first dies.
 */
export const deployments = pgTable(
  "deployments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    releaseId: uuid("release_id")
      .notNull()
      .references(() => releases.id, { onDelete: "cascade" }),
    /** The release serving when it started: what a rollback returns to. */
    previousReleaseId: uuid("previous_release_id").references(() => releases.id, { onDelete: "set null" }),
    kind: deploymentKind("kind").notNull(),
    phase: deploymentPhase("phase").notNull(),
    spec: jsonb("spec").$type<Record<string, unknown>>().notNull(),
    state: jsonb("state").$type<Record<string, unknown>>(),
    /** The status sentence of the last reconcile. */
    message: text("message").notNull().default(""),
    reason: text("reason"),
    step: jsonb("step").$type<{ index: number; total: number } | null>(),
    /** The split last observed on the target. */
    traffic: jsonb("traffic").$type<Record<string, number>>().notNull().default({}),
    /** Probe tallies per instance id, so a worker that takes over keeps what was seen. */
    health: jsonb("health").$type<Record<string, { consecutiveSuccesses: number; consecutiveFailures: number; ready: boolean }>>().notNull().default({}),
    smokeTest: jsonb("smoke_test").$type<{ status: string; detail?: string } | null>(),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    requestedByLabel: text("requested_by_label").notNull(),
    runId: uuid("run_id").references(() => runs.id, { onDelete: "set null" }),
    jobId: uuid("job_id"),
    driverId: text("driver_id"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One deployment at a time per environment, held by the database, not by the workers' care.
    uniqueIndex("deployments_one_active_per_environment")
      .on(t.environmentId)
      .where(sql`${t.phase} in ('pending', 'progressing', 'paused', 'rolling_back')`),
    index("deployments_environment_created").on(t.environmentId, t.createdAt),
    index("deployments_release").on(t.releaseId),
    index("deployments_phase").on(t.phase),
  ],
);

/** The history of a deployment: status changes, actions carried out, signals, analysis verdicts, errors. */
export const deploymentEvents = pgTable(
  "deployment_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    deploymentId: uuid("deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** status | action | signal | rollback | analysis | error */
    kind: text("kind").notNull(),
    message: text("message").notNull(),
    data: jsonb("data"),
  },
  (t) => [index("deployment_events_deployment").on(t.deploymentId, t.id)],
);

/** A person's pause, resume, promoteNow or abort; `seq` grows per deployment so each is acted on once. */
export const deploymentSignals = pgTable(
  "deployment_signals",
  {
    deploymentId: uuid("deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    type: text("type").notNull(),
    byUserId: uuid("by_user_id").references(() => users.id, { onDelete: "set null" }),
    byLabel: text("by_label").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.deploymentId, t.seq] })],
);

export type EnvironmentTarget = typeof environmentTargets.$inferSelect;
export type Release = typeof releases.$inferSelect;
export type DeploymentRow = typeof deployments.$inferSelect;
export type DeploymentEvent = typeof deploymentEvents.$inferSelect;
export type DeploymentSignalRow = typeof deploymentSignals.$inferSelect;
