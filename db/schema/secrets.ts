import { sql } from "drizzle-orm";
import { pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { environments, projects } from "./projects";
import { users } from "./users";

/**
 * Secrets per project, or per environment when environment_id is set. The
 * value is AES-256-GCM encrypted; only workers decrypt it, to hand it to jobs.
 */
export const secrets = pgTable(
  "secrets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: uuid("environment_id").references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** base64 of iv (12 bytes) | auth tag (16 bytes) | ciphertext */
    encrypted: text("encrypted").notNull(),
    updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Project-wide secrets have no environment; coalesce so two of them cannot share a name.
  (t) => [uniqueIndex("secrets_scope_name").on(t.projectId, sql`coalesce(${t.environmentId}, '00000000-0000-0000-0000-000000000000'::uuid)`, t.name)],
);

export type Secret = typeof secrets.$inferSelect;
