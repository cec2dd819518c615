import { randomBytes } from "node:crypto";
import { and, count, eq, gte, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { signInAttempts, users, type User } from "@/db/schema";
import { systemActor, type Actor } from "./actor";
import { recordAudit } from "./audit";
import { TooManyRequestsError } from "./errors";
import { hashPassword, verifyPassword } from "./passwords";

export const SIGN_IN_WINDOW_MINUTES = 15;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 30;

export function findUserById(db: Database, id: string): Promise<User | undefined> {
  return db.query.users.findFirst({ where: eq(users.id, id) });
}

export function findUserByEmail(db: Database, email: string): Promise<User | undefined> {
  return db.query.users.findFirst({ where: eq(users.email, email.trim().toLowerCase()) });
}

/**
 * Creates the first admin when the database has no users yet. Returns the
 * generated password (to print once) when none was configured.
 */
export async function ensureFirstAdmin(
  db: Database,
  { email, password }: { email: string; password?: string },
): Promise<{ created: boolean; email: string; generatedPassword?: string }> {
  const generatedPassword = password ? undefined : randomBytes(12).toString("base64url");
  const passwordHash = await hashPassword(password ?? generatedPassword!);
  return db.transaction(async (tx) => {
    // Two processes starting at once must not both create an admin.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('slipway:first-admin'))`);
    const [{ value }] = await tx.select({ value: count() }).from(users);
    if (value > 0) {
      const [admin] = await tx.select().from(users).where(eq(users.isAdmin, true)).limit(1);
      return { created: false, email: admin?.email ?? email };
    }
    const [user] = await tx
      .insert(users)
      .values({ email: email.toLowerCase(), name: "Administrator", passwordHash, isAdmin: true })
      .returning();
    await recordAudit(tx, systemActor, {
      action: "user.create_first_admin",
      objectType: "user",
      objectId: user.id,
      after: { email: user.email, isAdmin: true },
    });
    return { created: true, email: user.email, generatedPassword };
  });
}

type SignInContext = { ip: string | null };

/** Checks an email and password, recording the attempt and refusing after too many failures. */
export async function signInWithPassword(
  db: Database,
  { email, password }: { email: string; password: string },
  { ip }: SignInContext,
): Promise<User | null> {
  const normalised = email.trim().toLowerCase();
  return db.transaction(async (tx) => {
    // One attempt per email at a time: otherwise a burst of parallel guesses all pass
    // the limit check before any of them is recorded.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`slipway:sign-in:${normalised}`}))`);
    await assertNotRateLimited(tx, normalised, ip);
    const user = await tx.query.users.findFirst({ where: eq(users.email, normalised) });
    // Verify against a throwaway hash for unknown emails so timing does not reveal which exist.
    const ok = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : await verifyPassword(DUMMY_HASH, password);
    const succeeded = Boolean(user?.passwordHash && ok);
    await tx.insert(signInAttempts).values({ email: normalised, ip, succeeded });
    const actor: Actor = { userId: succeeded ? user!.id : null, label: normalised, ip, via: "password" };
    await recordAudit(tx, actor, {
      action: succeeded ? "auth.sign_in" : "auth.sign_in_failed",
      objectType: "user",
      objectId: user?.id ?? null,
      after: { method: "password", email: normalised },
    });
    if (succeeded) await tx.update(users).set({ lastSignInAt: new Date() }).where(eq(users.id, user!.id));
    return succeeded ? user! : null;
  });
}

const DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2xpcHdheXNhbHQ$OTGQa473SMttF0k0ks1X213RDPNWstoMtVStG5/bmsE";

async function assertNotRateLimited(db: Tx, email: string, ip: string | null) {
  const since = new Date(Date.now() - SIGN_IN_WINDOW_MINUTES * 60_000);
  const [byEmail] = await db
    .select({ value: count() })
    .from(signInAttempts)
    .where(
      and(
        eq(signInAttempts.email, email),
        eq(signInAttempts.succeeded, false),
        gte(signInAttempts.at, since),
        // A successful sign-in wipes the slate: only failures after it count.
        sql`${signInAttempts.at} > coalesce((select max(s.at) from sign_in_attempts s where s.email = ${email} and s.succeeded), '-infinity')`,
      ),
    );
  const [byIp] = ip
    ? await db
        .select({ value: count() })
        .from(signInAttempts)
        .where(and(eq(signInAttempts.ip, ip), eq(signInAttempts.succeeded, false), gte(signInAttempts.at, since)))
    : [{ value: 0 }];
  if (byEmail.value >= MAX_FAILURES_PER_EMAIL || byIp.value >= MAX_FAILURES_PER_IP) {
    throw new TooManyRequestsError(
      `Too many failed sign-ins. Wait ${SIGN_IN_WINDOW_MINUTES} minutes and try again, or ask an admin to reset your password.`,
    );
  }
}

/**
 * Finds or creates the person behind an SSO or GitHub sign-in. Emails listed
 * in SLIPWAY_ADMIN_EMAILS become site admins when they first arrive.
 */
export async function upsertExternalUser(
  db: Database,
  profile: { email: string; name: string | null; provider: string },
  { adminEmails, ip }: { adminEmails: string[]; ip: string | null },
): Promise<User> {
  const email = profile.email.trim().toLowerCase();
  return db.transaction(async (tx) => {
    const existing = await tx.query.users.findFirst({ where: eq(users.email, email) });
    const name = profile.name?.trim() || existing?.name || email.split("@")[0];
    let user: User;
    if (existing) {
      [user] = await tx.update(users).set({ name, lastSignInAt: new Date() }).where(eq(users.id, existing.id)).returning();
    } else {
      // A first sign-in racing another for the same email: the loser takes the winner's row.
      const [inserted] = await tx
        .insert(users)
        .values({ email, name, isAdmin: adminEmails.includes(email), lastSignInAt: new Date() })
        .onConflictDoNothing({ target: users.email })
        .returning();
      if (!inserted) return (await tx.query.users.findFirst({ where: eq(users.email, email) }))!;
      user = inserted;
      await recordAudit(tx, { userId: user.id, label: email, ip, via: profile.provider }, {
        action: "user.create",
        objectType: "user",
        objectId: user.id,
        after: { email, name, isAdmin: user.isAdmin, provider: profile.provider },
      });
    }
    await tx.insert(signInAttempts).values({ email, ip, succeeded: true });
    await recordAudit(tx, { userId: user.id, label: email, ip, via: profile.provider }, {
      action: "auth.sign_in",
      objectType: "user",
      objectId: user.id,
      after: { method: profile.provider, email },
    });
    return user;
  });
}

export async function recordSignOut(db: Database, user: { id: string; email: string }, ip: string | null) {
  await db.transaction((tx) =>
    recordAudit(tx, { userId: user.id, label: user.email, ip, via: "session" }, {
      action: "auth.sign_out",
      objectType: "user",
      objectId: user.id,
    }),
  );
}
