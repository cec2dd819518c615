import { index, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

export const tokenScope = pgEnum("token_scope", ["read", "write"]);

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** SHA-256 of the secret: tokens are long random strings, so a fast hash is enough. */
    tokenHash: text("token_hash").notNull().unique(),
    /** First characters of the token, shown so people can tell their tokens apart. */
    prefix: text("prefix").notNull(),
    scope: tokenScope("scope").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("api_tokens_user").on(t.userId)],
);

export type ApiToken = typeof apiTokens.$inferSelect;
