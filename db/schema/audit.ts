import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The tamper-evident audit trail. Rows are only ever appended; `seq` is dense
 * (assigned under a lock), so a deleted row shows as a gap, and each row stores
 * the hash of the one before it, so an edited or inserted row breaks the chain.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
    actorId: uuid("actor_id"),
    actorLabel: text("actor_label").notNull(),
    action: text("action").notNull(),
    objectType: text("object_type").notNull(),
    objectId: text("object_id"),
    projectId: uuid("project_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    ip: text("ip"),
    /** How the change arrived: "session", "token:<id>" or "system". */
    via: text("via").notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    index("audit_events_project").on(t.projectId, t.seq),
    index("audit_events_actor").on(t.actorId, t.seq),
    index("audit_events_action").on(t.action, t.seq),
  ],
);

export type AuditEvent = typeof auditEvents.$inferSelect;
