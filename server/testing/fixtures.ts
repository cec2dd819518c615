/**
 * Small helpers for integration tests: people, projects and tRPC callers
 * against the real test database. People are inserted directly (no password
 * hash) so creating many of them stays cheap; pass `password` only when a test
 * signs in with it.
 */
import { randomBytes } from "node:crypto";
import { getErrorShape, TRPCError } from "@trpc/server";
import { count, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { auditEvents, projectMembers, users, type Project, type User } from "@/db/schema";
import { appRouter, createCaller } from "@/server/api/root";
import type { ApiContext } from "@/server/api/context";
import type { CreateProjectInput, ProjectRole } from "@/server/schemas/project";
import type { Actor } from "@/server/services/actor";
import { hashPassword } from "@/server/services/passwords";
import { createProject } from "@/server/services/projects";

let sequence = 0;
/** A short string unique within this test process, safe for slugs and emails. */
export function unique(prefix = "x"): string {
  sequence += 1;
  return `${prefix}-${sequence}-${randomBytes(3).toString("hex")}`;
}

export async function createUser(
  db: Database,
  { email, name, isAdmin = false, password }: { email?: string; name?: string; isAdmin?: boolean; password?: string } = {},
): Promise<User> {
  const address = (email ?? `${unique("user")}@example.test`).toLowerCase();
  const [user] = await db
    .insert(users)
    .values({
      email: address,
      name: name ?? address.split("@")[0],
      isAdmin,
      passwordHash: password ? await hashPassword(password) : null,
    })
    .returning();
  return user;
}

export function actorFor(user: User, via = "session"): Actor & { userId: string } {
  return { userId: user.id, label: user.email, ip: "203.0.113.7", via };
}

export function contextFor(
  db: Database,
  user: User | null,
  { tokenScope = null, via }: { tokenScope?: "read" | "write" | null; via?: string } = {},
): ApiContext {
  return { db, user, ip: "203.0.113.7", via: via ?? (tokenScope ? "token:test" : "session"), tokenScope };
}

export type Caller = ReturnType<typeof createCaller>;

export function callerFor(db: Database, user: User | null, options: Parameters<typeof contextFor>[2] = {}): Caller {
  return createCaller(contextFor(db, user, options));
}

/** Calls a procedure by its dotted path ("projects.get"), as the role matrix needs. */
export function callPath(caller: Caller, path: string, input: unknown): Promise<unknown> {
  const node = path.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], caller);
  if (typeof node !== "function") throw new Error(`No procedure at ${path}`);
  return (node as (input: unknown) => Promise<unknown>)(input);
}

export async function createProjectAs(db: Database, owner: User, overrides: Partial<CreateProjectInput> = {}): Promise<Project> {
  const slug = overrides.slug ?? unique("proj");
  return createProject(db, actorFor(owner), {
    name: overrides.name ?? `Project ${slug}`,
    slug,
    repositoryUrl: overrides.repositoryUrl ?? "https://git.example.test/acme/app.git",
    ...overrides,
  });
}

/** Adds a member without going through the service (no audit event), for test set-up. */
export async function addMemberDirect(db: Database, projectId: string, userId: string, role: ProjectRole): Promise<void> {
  await db.insert(projectMembers).values({ projectId, userId, role });
}

export async function auditCount(db: Database): Promise<number> {
  const [{ value }] = await db.select({ value: count() }).from(auditEvents);
  return value;
}

/**
 * A fingerprint of every row in the tables a foundation mutation can touch,
 * so a test can assert that a refused call changed nothing at all.
 */
export async function databaseFingerprint(db: Database): Promise<Record<string, string>> {
  const tables = ["users", "projects", "project_members", "environments", "api_tokens", "audit_events"] as const;
  const digests = tables.map(
    (table) =>
      sql`(select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from ${sql.identifier(table)} t) as ${sql.identifier(table)}`,
  );
  const [row] = await db.execute<Record<string, string>>(sql`select ${sql.join(digests, sql`, `)}`);
  return { ...row };
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("Expected the call to fail, but it succeeded.");
}

export async function trpcErrorOf(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await rejectionOf(promise);
  if (!(error instanceof TRPCError)) throw new Error(`Expected a TRPCError, got ${String(error)}`);
  return error;
}

/**
 * The per-field messages a form receives for a failed call: what the API's
 * error formatter puts in `data.fieldErrors`.
 */
export function fieldErrorsOf(error: TRPCError, path: string, input: unknown): Record<string, string[] | undefined> | undefined {
  const shape = getErrorShape({ config: appRouter._def._config, error, type: "mutation", path, input, ctx: undefined });
  return shape.data.fieldErrors;
}
