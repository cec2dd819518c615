import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTokens, auditEvents, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, callerFor, createUser, fieldErrorsOf, rejectionOf, trpcErrorOf } from "@/server/testing/fixtures";
import { ConflictError, NotFoundError, UnauthorizedError } from "./errors";
import { authenticateToken, createToken, hashToken, listTokens, revokeToken } from "./tokens";

let t: TestDatabase;
let tess: User;
let uma: User;

beforeAll(async () => {
  t = await createTestDatabase();
  [tess, uma] = await Promise.all([createUser(t.db, { name: "Tess" }), createUser(t.db, { name: "Uma" })]);
});

afterAll(async () => {
  await t.close();
});

const make = (user: User, name = "CI", scope: "read" | "write" = "write", expiresInDays = 30) =>
  createToken(t.db, actorFor(user), { name, scope, expiresInDays });

async function refusal(token: string): Promise<UnauthorizedError> {
  const error = await rejectionOf(authenticateToken(t.db, token));
  expect(error).toBeInstanceOf(UnauthorizedError);
  return error as UnauthorizedError;
}

describe("creating and using API tokens", () => {
  it("authenticates a new token as its owner, with its scope", async () => {
    const { token, record } = await make(tess, "deploy bot", "read", 30);
    expect(token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ userId: tess.id, name: "deploy bot", scope: "read", prefix: token.slice(0, 10), revokedAt: null });
    const expectedExpiry = Date.now() + 30 * 86_400_000;
    expect(Math.abs(record.expiresAt.getTime() - expectedExpiry)).toBeLessThan(60_000);

    const auth = await authenticateToken(t.db, token);
    expect(auth.user.id).toBe(tess.id);
    expect(auth.token).toMatchObject({ id: record.id, scope: "read" });
  });

  it("notes when a token was last used", async () => {
    const { token, record } = await make(tess);
    expect(record.lastUsedAt).toBeNull();
    await authenticateToken(t.db, token);
    const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, record.id));
    expect(row.lastUsedAt).toBeInstanceOf(Date);
  });

  it("stores only a hash: the secret appears nowhere in the tokens table or the audit trail", async () => {
    const { token, record } = await make(tess, "secret keeper");
    const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, record.id));
    expect(row.tokenHash).toBe(hashToken(token));
    const secret = token.slice(4);
    const inTokens = await t.db.execute(sql`select 1 from api_tokens t where strpos(t::text, ${secret}) > 0`);
    expect(inTokens).toHaveLength(0);
    const inAudit = await t.db.execute(sql`select 1 from audit_events e where strpos(e::text, ${secret}) > 0`);
    expect(inAudit).toHaveLength(0);
    // And listing tokens never hands the hash out.
    const listed = await listTokens(t.db, tess.id);
    expect(listed.find((l) => l.id === record.id)).not.toHaveProperty("tokenHash");
  });

  it("records the creation in the audit trail without the secret", async () => {
    const { record } = await make(tess, "audited");
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.objectId, record.id));
    expect(event).toMatchObject({ action: "token.create", actorId: tess.id, after: { name: "audited", scope: "write" } });
  });

  it("lists a person's own tokens, newest first", async () => {
    const first = await make(uma, "first");
    const second = await make(uma, "second");
    const listed = await listTokens(t.db, uma.id);
    expect(listed.map((l) => l.id).slice(0, 2)).toEqual([second.record.id, first.record.id]);
    expect(listed.every((l) => l.userId === uma.id)).toBe(true);
  });

  it.each([
    ["an empty name", { name: " ", scope: "read", expiresInDays: 30 }, "name", "Name the token after what will use it."],
    ["an unknown scope", { name: "x", scope: "admin", expiresInDays: 30 }, "scope", "Scope must be read or write."],
    ["zero days", { name: "x", scope: "read", expiresInDays: 0 }, "expiresInDays", "A token lasts at least 1 day."],
    ["more than a year", { name: "x", scope: "read", expiresInDays: 400 }, "expiresInDays", "A token lasts at most 366 days."],
  ])("rejects %s on its field", async (_label, input, field, message) => {
    // @ts-expect-error: deliberately invalid input, as a hand-written API call might send.
    const error = await trpcErrorOf(callerFor(t.db, tess).tokens.create(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(fieldErrorsOf(error, "tokens.create", input)).toEqual({ [field]: [message] });
  });
});

describe("refusing tokens", () => {
  it("refuses a revoked token at the next call, saying it was revoked", async () => {
    const { token, record } = await make(tess, "laptop");
    await authenticateToken(t.db, token);
    await revokeToken(t.db, actorFor(tess), record.id);
    const error = await refusal(token);
    expect(error.message).toBe('This API token ("laptop") was revoked. Create a new one under Tokens.');
    const [event] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.objectId, record.id), eq(auditEvents.action, "token.revoke")));
    expect(event).toMatchObject({ objectId: record.id, actorId: tess.id, before: { name: "laptop" } });
  });

  it("refuses an expired token, saying when it expired", async () => {
    const { token, record } = await make(tess, "old");
    await t.db.execute(sql`update api_tokens set expires_at = '2024-01-02T03:04:05Z' where id = ${record.id}`);
    const error = await refusal(token);
    expect(error.message).toBe('This API token ("old") expired on 2024-01-02T03:04:05.000Z. Create a new one under Tokens.');
  });

  it("refuses an unknown or truncated token, saying to check it was copied whole", async () => {
    const { token } = await make(tess);
    for (const attempt of ["slw_not-a-real-token", token.slice(0, -1), ""]) {
      const error = await refusal(attempt);
      expect(error.message).toBe("This API token is not valid. Check that it was copied whole, or create a new one under Tokens.");
    }
  });

  it("refuses a token whose owner was deleted", async () => {
    const gone = await createUser(t.db);
    const { token } = await make(gone);
    await t.db.execute(sql`delete from users where id = ${gone.id}`);
    await refusal(token);
  });
});

describe("revoking tokens", () => {
  it("says a token that was already revoked cannot be revoked again", async () => {
    const { record } = await make(tess);
    await revokeToken(t.db, actorFor(tess), record.id);
    await expect(revokeToken(t.db, actorFor(tess), record.id)).rejects.toThrow(ConflictError);
  });

  it("does not let anyone revoke someone else's token", async () => {
    const { token, record } = await make(tess);
    const error = await rejectionOf(revokeToken(t.db, actorFor(uma), record.id));
    expect(error).toBeInstanceOf(NotFoundError);
    await expect(authenticateToken(t.db, token)).resolves.toMatchObject({ user: { id: tess.id } });
  });
});
