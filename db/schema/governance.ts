import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { ProtectionRules } from "@/server/governance/rules";
import { deployments, releases } from "./deployments";
import { environments, projects } from "./projects";
import { users } from "./users";

/**
 * Governance: environment protection rules (versioned), approval requests and decisions,
 * the gates that hold deployments, freeze windows, overrides, and outgoing notification hooks.
 * The rules themselves are judged by the pure core in server/governance.
 */

/**
 * Every save of an environment's protection rules is a new version; the newest is in force.
 * A request keeps the version it was judged by, so a change never rewrites a pending one.
 * An environment with no row has the open rules (version 0).
 */
export const protectionRules = pgTable(
  "protection_rules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    rules: jsonb("rules").$type<ProtectionRules>().notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("protection_rules_environment_version").on(t.environmentId, t.version)],
);

/** Named sets of people a stage can name as approvers ("qa", "release-managers"), per project. */
export const approverGroups = pgTable(
  "approver_groups",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("approver_groups_project_name").on(t.projectId, t.name)],
);

export const approverGroupMembers = pgTable(
  "approver_group_members",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => approverGroups.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("approver_group_members_user").on(t.userId)],
);

export const approvalStatus = pgEnum("approval_status", [
  "pending",
  "approved",
  "rejected",
  /** No decision by its expiry: rejected, and says so. */
  "expired",
  /** The release's artifact digest or pipeline revision changed after it was made. */
  "stale",
  /** Every deployment it held ended (aborted) before a decision. */
  "withdrawn",
]);

/**
 * One release going to one environment, bound to the artifact digest and pipeline revision it
 * was asked for: one decision covers every deployment of that release there. At most one is
 * pending per release and environment.
 */
export const approvalRequests = pgTable(
  "approval_requests",
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
    artifactDigest: text("artifact_digest"),
    pipelineRevisionId: uuid("pipeline_revision_id"),
    /** The rules it is judged by. */
    rulesId: uuid("rules_id").references(() => protectionRules.id),
    ruleVersion: integer("rule_version").notNull(),
    status: approvalStatus("status").notNull().default("pending"),
    /** The stage waiting for approvals (kept for listing; the decisions are the truth). */
    stageIndex: integer("stage_index").notNull().default(0),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    requestedByLabel: text("requested_by_label").notNull(),
    runId: uuid("run_id"),
    /** Who triggered the release's run, and the commit authors since what runs in the environment: separation of duties. */
    triggeredBy: uuid("triggered_by"),
    authors: text("authors").array().notNull().default([]),
    /** Why it ended: the rejection's comment, expiry, staleness. */
    reason: text("reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("approval_requests_one_pending").on(t.environmentId, t.releaseId).where(sql`${t.status} = 'pending'`),
    index("approval_requests_status_created").on(t.status, t.createdAt),
    index("approval_requests_status_expires").on(t.status, t.expiresAt),
    index("approval_requests_release").on(t.releaseId, t.environmentId),
    index("approval_requests_project").on(t.projectId, t.createdAt),
  ],
);

export const approvalDecisionKind = pgEnum("approval_decision_kind", ["approved", "rejected"]);

/** One decision per person per request, counted in the stage it was made in. */
export const approvalDecisions = pgTable(
  "approval_decisions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => approvalRequests.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    label: text("label").notNull(),
    decision: approvalDecisionKind("decision").notNull(),
    stageIndex: integer("stage_index").notNull(),
    comment: text("comment").notNull().default(""),
    via: text("via").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("approval_decisions_one_per_person").on(t.requestId, t.userId)],
);

export const gateStatus = pgEnum("gate_status", ["held", "cleared", "refused"]);

/**
 * Why a queued deployment may not start yet (approval, freeze, wait timer), and what it is
 * judged by. A held deployment stays `queued`; the line skips it; it starts by itself when the
 * gate clears. Deployments that never waited have no row.
 */
export const deploymentGates = pgTable(
  "deployment_gates",
  {
    deploymentId: uuid("deployment_id")
      .primaryKey()
      .references(() => deployments.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    approvalRequestId: uuid("approval_request_id").references(() => approvalRequests.id, { onDelete: "set null" }),
    rulesId: uuid("rules_id").references(() => protectionRules.id),
    ruleVersion: integer("rule_version").notNull(),
    status: gateStatus("status").notNull().default("held"),
    reason: text("reason").notNull(),
    /** The next time a re-judgement may clear it (freeze end, wait timer); null when only people can. */
    until: timestamp("until", { withTimezone: true }),
    /** What was waived on the way: rollback exemptions, freeze overrides. */
    notes: text("notes").array().notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    clearedAt: timestamp("cleared_at", { withTimezone: true }),
  },
  (t) => [index("deployment_gates_status_until").on(t.status, t.until), index("deployment_gates_request").on(t.approvalRequestId)],
);

export const freezeKind = pgEnum("freeze_kind", ["once", "recurring"]);
export const freezeMode = pgEnum("freeze_mode", ["wait", "refuse"]);

/** Freeze windows of a project, for one environment or (environment_id null) all of them. */
export const freezeWindows = pgTable(
  "freeze_windows",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: uuid("environment_id").references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: freezeKind("kind").notNull(),
    mode: freezeMode("mode").notNull().default("wait"),
    startsAt: timestamp("starts_at", { withTimezone: true }),
    endsAt: timestamp("ends_at", { withTimezone: true }),
    cron: text("cron"),
    timezone: text("timezone"),
    durationMinutes: integer("duration_minutes"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("freeze_windows_project").on(t.projectId)],
);

/**
 * An administrator's written reason to set a rule aside: today the freeze, for one deployment
 * (deployment_id) or for the environment until `expires_at`. Audited, and shown on the deployment.
 */
export const governanceOverrides = pgTable(
  "governance_overrides",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    deploymentId: uuid("deployment_id").references(() => deployments.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    reason: text("reason").notNull(),
    byUserId: uuid("by_user_id").references(() => users.id, { onDelete: "set null" }),
    byLabel: text("by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
  },
  (t) => [index("governance_overrides_environment").on(t.environmentId, t.kind), index("governance_overrides_deployment").on(t.deploymentId)],
);

export const hookFormat = pgEnum("hook_format", ["generic", "slack", "teams"]);

/** Outgoing webhooks per project for run, approval and deployment events. */
export const notificationHooks = pgTable(
  "notification_hooks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    url: text("url").notNull(),
    format: hookFormat("format").notNull().default("generic"),
    /** Event names (`approval.requested`, `deployment.succeeded`, `run.failed`, or a prefix like `approval.*`). */
    events: text("events").array().notNull(),
    /** The HMAC signing secret, encrypted with the installation key (see crypto.ts). */
    secretEncrypted: text("secret_encrypted").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** Set only by a site administrator: deliveries to private or loopback addresses are allowed. */
    allowPrivate: boolean("allow_private").notNull().default(false),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("notification_hooks_project").on(t.projectId)],
);

export const deliveryStatus = pgEnum("delivery_status", ["pending", "delivered", "failed"]);

/** Each event sent to a hook, with its attempts; retried with backoff until delivered or out of attempts. */
export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    hookId: uuid("hook_id")
      .notNull()
      .references(() => notificationHooks.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    payload: jsonb("payload").notNull(),
    status: deliveryStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    responseStatus: integer("response_status"),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [index("notification_deliveries_due").on(t.status, t.nextAttemptAt), index("notification_deliveries_hook").on(t.hookId, t.id)],
);

export type ProtectionRulesRow = typeof protectionRules.$inferSelect;
export type ApprovalRequest = typeof approvalRequests.$inferSelect;
export type ApprovalDecisionRow = typeof approvalDecisions.$inferSelect;
export type DeploymentGate = typeof deploymentGates.$inferSelect;
export type FreezeWindowRow = typeof freezeWindows.$inferSelect;
export type GovernanceOverride = typeof governanceOverrides.$inferSelect;
export type NotificationHook = typeof notificationHooks.$inferSelect;
export type NotificationDelivery = typeof notificationDeliveries.$inferSelect;
