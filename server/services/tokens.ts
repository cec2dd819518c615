import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Database } from "@/db/client";
import { apiTokens, users, type ApiToken, type User } from "@/db/schema";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { ConflictError, NotFoundError, UnauthorizedError } from "./errors";

const TOKEN_PREFIX = "slw_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export type PublicToken = Omit<ApiToken, "tokenHash">;

const publicColumns = {
  id: apiTokens.id,
  userId: apiTokens.userId,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  scope: apiTokens.scope,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
  createdAt: apiTokens.createdAt,
};

/** Creates a token; its secret is returned here once and only its hash is stored. */
export async function createToken(
  db: Database,
  actor: Actor & { userId: string },
  input: { name: string; scope: "read" | "write"; expiresInDays: number },
): Promise<{ token: string; record: PublicToken }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + input.expiresInDays * 86_400_000);
  return db.transaction(async (tx) => {
    const [record] = await tx
      .insert(apiTokens)
      .values({ userId: actor.userId, name: input.name, scope: input.scope, expiresAt, tokenHash: hashToken(token), prefix: token.slice(0, 10) })
      .returning(publicColumns);
    await recordAudit(tx, actor, {
      action: "token.create",
      objectType: "token",
      objectId: record.id,
      after: { name: record.name, scope: record.scope, expiresAt: record.expiresAt.toISOString() },
    });
    return { token, record };
  });
}

export function listTokens(db: Database, userId: string): Promise<PublicToken[]> {
  return db.select(publicColumns).from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt));
}

export async function revokeToken(db: Database, actor: Actor & { userId: string }, tokenId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [token] = await tx
      .select(publicColumns)
      .from(apiTokens)
      .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, actor.userId)))
      .for("update");
    if (!token) throw new NotFoundError("You have no token with that id.");
    if (token.revokedAt) throw new ConflictError("This token was already revoked.");
    await tx.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, tokenId));
    await recordAudit(tx, actor, { action: "token.revoke", objectType: "token", objectId: tokenId, before: { name: token.name } });
  });
}

/** Resolves a bearer token to its owner; every refusal says what to do next. */
export async function authenticateToken(db: Database, token: string): Promise<{ user: User; token: PublicToken }> {
  const [row] = await db
    .select({ token: publicColumns, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hashToken(token)));
  if (!row) throw new UnauthorizedError("This API token is not valid. Check that it was copied whole, or create a new one under Tokens.");
  if (row.token.revokedAt) throw new UnauthorizedError(`This API token ("${row.token.name}") was revoked. Create a new one under Tokens.`);
  if (row.token.expiresAt.getTime() <= Date.now()) {
    throw new UnauthorizedError(
      `This API token ("${row.token.name}") expired on ${row.token.expiresAt.toISOString()}. Create a new one under Tokens.`,
    );
  }
  // Touch lastUsedAt at most once a minute: it is shown to people, not used for security.
  if (!row.token.lastUsedAt || Date.now() - row.token.lastUsedAt.getTime() > 60_000) {
    await db
      .update(apiTokens)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiTokens.id, row.token.id), isNull(apiTokens.revokedAt)));
  }
  return row;
}
