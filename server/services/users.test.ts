import { and, count, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditEvents, signInAttempts, users, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { auditCount, createUser, rejectionOf } from "@/server/testing/fixtures";
import { TooManyRequestsError } from "./errors";
import { ensureFirstAdmin, MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_IP, signInWithPassword, upsertExternalUser } from "./users";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t.close();
});

async function userCount() {
  const [{ value }] = await t.db.select({ value: count() }).from(users);
  return value;
}

async function lastEvent(action: string) {
  const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(desc(auditEvents.seq)).limit(1);
  return event;
}

/** Failed attempts written straight into the table, to test the limits without hashing dozens of passwords. */
async function pastFailures(n: number, { email, ip, minutesAgo = 1 }: { email: (i: number) => string; ip: string | null; minutesAgo?: number }) {
  const at = new Date(Date.now() - minutesAgo * 60_000);
  await t.db.insert(signInAttempts).values(Array.from({ length: n }, (_, i) => ({ email: email(i), ip, succeeded: false, at })));
}

describe("the first admin", () => {
  beforeEach(async () => {
    await t.db.execute(sql`delete from users`);
  });

  it("is created once, with the configured password and no generated one", async () => {
    const result = await ensureFirstAdmin(t.db, { email: "Root@Example.test", password: "correct horse battery" });
    expect(result).toEqual({ created: true, email: "root@example.test", generatedPassword: undefined });
    const [admin] = await t.db.select().from(users);
    expect(admin).toMatchObject({ email: "root@example.test", name: "Administrator", isAdmin: true });
    expect(admin.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await lastEvent("user.create_first_admin")).toMatchObject({ objectId: admin.id, actorId: null, via: "system" });
  });

  it("does nothing once anyone exists, and names the existing admin", async () => {
    await ensureFirstAdmin(t.db, { email: "root@example.test", password: "correct horse battery" });
    const again = await ensureFirstAdmin(t.db, { email: "someone-else@example.test" });
    expect(again).toEqual({ created: false, email: "root@example.test" });
    expect(await userCount()).toBe(1);
  });

  it("generates a password to print once when none is configured, and it signs in", async () => {
    const result = await ensureFirstAdmin(t.db, { email: "root@example.test" });
    expect(result.created).toBe(true);
    expect(result.generatedPassword).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const user = await signInWithPassword(t.db, { email: "root@example.test", password: result.generatedPassword! }, { ip: null });
    expect(user?.isAdmin).toBe(true);
  });

  it("is created exactly once when several processes start at the same moment", async () => {
    const results = await Promise.all(
      ["a", "b", "c"].map((name) => ensureFirstAdmin(t.db, { email: `${name}@example.test`, password: "correct horse battery" })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await userCount()).toBe(1);
    const winner = results.find((r) => r.created)!.email;
    // The others report the admin that was made.
    expect(results.map((r) => r.email)).toEqual([winner, winner, winner]);
  });
});

describe("signing in with a password", () => {
  const password = "s3cret-pass-phrase";
  let pat: User;

  beforeAll(async () => {
    await t.db.execute(sql`delete from users`);
    // Rita is only ever refused; Pat signs in throughout.
    [pat] = await Promise.all([
      createUser(t.db, { email: "pat@example.test", name: "Pat", password }),
      createUser(t.db, { email: "rita@example.test", name: "Rita", password }),
    ]);
  });

  it("succeeds with the right password, notes the time and records auth.sign_in", async () => {
    const user = await signInWithPassword(t.db, { email: "pat@example.test", password }, { ip: "192.0.2.10" });
    expect(user?.id).toBe(pat.id);
    const [row] = await t.db.select().from(users).where(eq(users.id, pat.id));
    expect(row.lastSignInAt).toBeInstanceOf(Date);
    expect(await lastEvent("auth.sign_in")).toMatchObject({
      actorId: pat.id,
      actorLabel: "pat@example.test",
      objectId: pat.id,
      ip: "192.0.2.10",
      via: "password",
      after: { method: "password", email: "pat@example.test" },
    });
  });

  it("accepts the email in any case and with stray spaces", async () => {
    const user = await signInWithPassword(t.db, { email: "  PAT@Example.Test ", password }, { ip: null });
    expect(user?.id).toBe(pat.id);
  });

  it("returns no one for a wrong password and records auth.sign_in_failed", async () => {
    const before = await auditCount(t.db);
    expect(await signInWithPassword(t.db, { email: "pat@example.test", password: "wrong" }, { ip: "192.0.2.10" })).toBeNull();
    expect(await auditCount(t.db)).toBe(before + 1);
    expect(await lastEvent("auth.sign_in_failed")).toMatchObject({ actorId: null, actorLabel: "pat@example.test", objectId: pat.id });
  });

  it("refuses an unknown email the same way, recording the attempt", async () => {
    expect(await signInWithPassword(t.db, { email: "nobody@example.test", password }, { ip: null })).toBeNull();
    expect(await lastEvent("auth.sign_in_failed")).toMatchObject({ actorLabel: "nobody@example.test", objectId: null });
  });

  it("refuses a password for someone who only signs in through SSO", async () => {
    await createUser(t.db, { email: "sso-only@example.test" });
    expect(await signInWithPassword(t.db, { email: "sso-only@example.test", password: "" }, { ip: null })).toBeNull();
  });

  it(`refuses the attempt after ${MAX_FAILURES_PER_EMAIL} failures even with the right password, and records nothing for it`, async () => {
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      expect(await signInWithPassword(t.db, { email: "rita@example.test", password: `guess-${i}` }, { ip: "192.0.2.20" })).toBeNull();
    }
    const before = await auditCount(t.db);
    const error = await rejectionOf(signInWithPassword(t.db, { email: "rita@example.test", password }, { ip: "192.0.2.21" }));
    expect(error).toBeInstanceOf(TooManyRequestsError);
    expect((error as Error).message).toBe(
      "Too many failed sign-ins. Wait 15 minutes and try again, or ask an admin to reset your password.",
    );
    expect(await auditCount(t.db)).toBe(before);
    const [{ value }] = await t.db
      .select({ value: count() })
      .from(signInAttempts)
      .where(and(eq(signInAttempts.email, "rita@example.test"), eq(signInAttempts.succeeded, true)));
    expect(value).toBe(0);
    // Other people signing in from the same address are not affected.
    expect(await signInWithPassword(t.db, { email: "pat@example.test", password }, { ip: "192.0.2.20" })).not.toBeNull();
  });

  it(`lets no more than ${MAX_FAILURES_PER_EMAIL} guesses through when many arrive at once`, async () => {
    await createUser(t.db, { email: "burst@example.test", password });
    const guesses = await Promise.allSettled(
      Array.from({ length: MAX_FAILURES_PER_EMAIL + 3 }, (_, i) =>
        signInWithPassword(t.db, { email: "burst@example.test", password: `guess-${i}` }, { ip: `192.0.2.${100 + i}` }),
      ),
    );
    const evaluated = guesses.filter((g) => g.status === "fulfilled");
    const refused = guesses.filter((g): g is PromiseRejectedResult => g.status === "rejected");
    expect(evaluated).toHaveLength(MAX_FAILURES_PER_EMAIL);
    expect(refused.every((r) => r.reason instanceof TooManyRequestsError)).toBe(true);
  });

  it("counts only the failures since the last successful sign-in", async () => {
    await createUser(t.db, { email: "typo@example.test", password });
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL - 1; i++) {
      await signInWithPassword(t.db, { email: "typo@example.test", password: `typo-${i}` }, { ip: null });
    }
    expect(await signInWithPassword(t.db, { email: "typo@example.test", password }, { ip: null })).not.toBeNull();
    expect(await signInWithPassword(t.db, { email: "typo@example.test", password: "one-more-typo" }, { ip: null })).toBeNull();
    expect(await signInWithPassword(t.db, { email: "typo@example.test", password }, { ip: null })).not.toBeNull();
  });

  it("forgets failures older than the 15-minute window", async () => {
    const sam = await createUser(t.db, { email: "sam@example.test", password });
    await pastFailures(MAX_FAILURES_PER_EMAIL, { email: () => "sam@example.test", ip: null, minutesAgo: 16 });
    expect((await signInWithPassword(t.db, { email: "sam@example.test", password }, { ip: null }))?.id).toBe(sam.id);
  });

  it(`locks out an address after ${MAX_FAILURES_PER_IP} failures from it, for every email`, async () => {
    await pastFailures(MAX_FAILURES_PER_IP, { email: (i) => `spray-${i}@example.test`, ip: "198.51.100.99" });
    await expect(signInWithPassword(t.db, { email: "pat@example.test", password }, { ip: "198.51.100.99" })).rejects.toThrow(TooManyRequestsError);
    expect(await signInWithPassword(t.db, { email: "pat@example.test", password }, { ip: "198.51.100.100" })).not.toBeNull();
  });
});

describe("signing in through SSO or GitHub", () => {
  it("makes an email on SLIPWAY_ADMIN_EMAILS a site admin at first sign-in", async () => {
    const user = await upsertExternalUser(
      t.db,
      { email: "Boss@Example.test", name: "The Boss", provider: "oidc" },
      { adminEmails: ["boss@example.test"], ip: "192.0.2.30" },
    );
    expect(user).toMatchObject({ email: "boss@example.test", name: "The Boss", isAdmin: true, passwordHash: null });
    expect(await lastEvent("user.create")).toMatchObject({ objectId: user.id, via: "oidc", after: { isAdmin: true, provider: "oidc" } });
    expect(await lastEvent("auth.sign_in")).toMatchObject({ objectId: user.id, via: "oidc", after: { method: "oidc" } });
  });

  it("does not make someone an admin who is not on the list", async () => {
    const user = await upsertExternalUser(t.db, { email: "dev@example.test", name: "Dev", provider: "github" }, { adminEmails: ["boss@example.test"], ip: null });
    expect(user.isAdmin).toBe(false);
  });

  it("does not promote someone already known when their email is added to the list later", async () => {
    const first = await upsertExternalUser(t.db, { email: "late@example.test", name: "Late", provider: "github" }, { adminEmails: [], ip: null });
    const creations = await auditCount(t.db);
    const again = await upsertExternalUser(t.db, { email: "late@example.test", name: "Late", provider: "github" }, { adminEmails: ["late@example.test"], ip: null });
    expect(again.id).toBe(first.id);
    expect(again.isAdmin).toBe(false);
    // A returning person is signed in, not created again.
    expect(await auditCount(t.db)).toBe(creations + 1);
    expect(await lastEvent("auth.sign_in")).toMatchObject({ objectId: first.id });
  });

  it("keeps a site admin an admin after their email leaves the list", async () => {
    const admin = await upsertExternalUser(t.db, { email: "keep@example.test", name: null, provider: "oidc" }, { adminEmails: ["keep@example.test"], ip: null });
    const later = await upsertExternalUser(t.db, { email: "keep@example.test", name: null, provider: "oidc" }, { adminEmails: [], ip: null });
    expect([admin.isAdmin, later.isAdmin]).toEqual([true, true]);
  });

  it("names someone after their email until the provider sends a name, then follows it", async () => {
    const first = await upsertExternalUser(t.db, { email: "nameless@example.test", name: null, provider: "github" }, { adminEmails: [], ip: null });
    expect(first.name).toBe("nameless");
    const named = await upsertExternalUser(t.db, { email: "nameless@example.test", name: "  Nia Named ", provider: "github" }, { adminEmails: [], ip: null });
    expect(named.name).toBe("Nia Named");
    const blank = await upsertExternalUser(t.db, { email: "nameless@example.test", name: " ", provider: "github" }, { adminEmails: [], ip: null });
    expect(blank.name).toBe("Nia Named");
  });
});
