import { and, asc, eq, notInArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database, Tx } from "@/db/client";
import { routeBackends, routes, routeVersions } from "@/db/schema";
import type { TrafficWeights } from "@/server/deploy/types";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { isUniqueViolation } from "./pg-errors";

/**
 * The router's split for docker and local targets, kept in PostgreSQL, which is where the
 * router takes it from: every write here fires the `slipway_routes` trigger, and the router
 * re-reads the table on it (and every few seconds).
 *
 * Every write also returns the environment's route as it committed, with its `revision`,
 * so the worker can hand it to the router straight away (`pushRoute` in
 * workers/router/client.ts) instead of waiting for the notification and the re-read: the
 * database stays the one source of the split, the push only gets its new state there first.
 * Writers of one route take its row lock and move `routes.updated_at` forward (never back,
 * even if the clock does), so a higher revision always holds every earlier write and the
 * router can tell a late push or a stale read from a new one.
 *
 * No audit events: these rows are the mechanics of a deployment, which records its own.
 */

const versionName = z.string().trim().min(1, "a version needs a name").max(200, "a version name has at most 200 characters");

/** Stored as the origin only, so "http://127.0.0.1:4000/" and "http://127.0.0.1:4000" are one backend. */
export const backendUrlSchema = z
  .url({ protocol: /^http$/, error: "a backend is an http:// address such as http://127.0.0.1:41234" })
  .refine((value) => {
    const url = new URL(value);
    return url.pathname === "/" && !url.search && !url.hash && !url.username;
  }, "a backend address has only a scheme, host and port (no path, query or credentials)")
  .transform((value) => new URL(value).origin);

const percent = z.number().int("a weight is a whole percentage").min(0, "a weight is between 0 and 100").max(100, "a weight is between 0 and 100");

/** Weights add up to 100, or to 0 when the environment is to serve nothing (as an empty TrafficWeights). */
const sumsToHundredOrNothing = (weights: number[]) => {
  const sum = weights.reduce((a, b) => a + b, 0);
  return sum === 100 || sum === 0;
};

export const routeInputSchema = z
  .strictObject({
    port: z.number().int("a port is a whole number").min(1024, "a port between 1024 and 65535").max(65535, "a port between 1024 and 65535"),
    versions: z.array(z.strictObject({ version: versionName, weight: percent, backends: z.array(backendUrlSchema) })),
  })
  .refine((input) => sumsToHundredOrNothing(input.versions.map((v) => v.weight)), {
    message: "the weights of the versions add up to 100 (or all are 0 to serve nothing)",
    path: ["versions"],
  })
  .refine((input) => new Set(input.versions.map((v) => v.version)).size === input.versions.length, {
    message: "each version is listed once",
    path: ["versions"],
  })
  .refine((input) => {
    const urls = input.versions.flatMap((v) => v.backends);
    return new Set(urls).size === urls.length;
  }, { message: "a backend address belongs to one version only", path: ["versions"] });

export type RouteInput = z.input<typeof routeInputSchema>;

export const trafficWeightsSchema = z
  .record(versionName, percent)
  .refine((weights) => sumsToHundredOrNothing(Object.values(weights)), "the weights add up to 100 (or the map is empty to serve nothing)");

/**
 * One environment's route as the router serves it. `revision` is `routes.updated_at` in
 * microseconds since the epoch: it grows with every committed write of the route.
 */
export const routeEntrySchema = z.strictObject({
  environmentId: z.string().uuid(),
  port: z.number().int().min(1024).max(65535),
  versions: z.array(z.strictObject({ version: z.string().min(1), weight: percent })),
  backends: z.array(z.strictObject({ url: backendUrlSchema, version: z.string().min(1), state: z.enum(["active", "draining"]) })),
  revision: z.number().int().nonnegative().optional(),
});

/** What the router serves: one entry per environment, sorted so equal tables serialise equally. */
export const routeTableSchema = z.strictObject({ environments: z.array(routeEntrySchema) });

export type RouteTable = z.infer<typeof routeTableSchema>;
export type RouteEntry = RouteTable["environments"][number];
export type RouteBackendEntry = RouteEntry["backends"][number];

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidInputError(issue.message, issue.path.map(String).join(".") || undefined);
  }
  return result.data;
}

/**
 * Replaces the environment's port, weights and backends with `input`. Backends serving now
 * that `input` leaves out are set draining rather than dropped, so their requests in flight
 * finish; `removeBackend` deletes them once the router reports them drained.
 */
export async function setRoute(db: Database, environmentId: string, input: RouteInput): Promise<RouteEntry> {
  const route = parse(routeInputSchema, input);
  try {
    return await db.transaction(async (tx) => {
      await tx
        .insert(routes)
        .values({ environmentId, listenPort: route.port, updatedAt: sql`clock_timestamp()` })
        .onConflictDoUpdate({
          target: routes.environmentId,
          // The row lock and a new revision, as `lockRoute` takes them.
          set: { listenPort: route.port, updatedAt: sql`greatest(clock_timestamp(), ${routes.updatedAt} + interval '1 microsecond')` },
        });
      await replaceWeights(tx, environmentId, Object.fromEntries(route.versions.map((v) => [v.version, v.weight])));
      const listed = route.versions.flatMap((v) => v.backends.map((url) => ({ environmentId, url, version: v.version })));
      for (const backend of listed) await upsertActiveBackend(tx, backend);
      const urls = listed.map((b) => b.url);
      await tx
        .update(routeBackends)
        .set({ state: "draining" })
        .where(and(eq(routeBackends.environmentId, environmentId), urls.length ? notInArray(routeBackends.url, urls) : undefined));
      return (await readRouteEntry(tx, environmentId))!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`Port ${route.port} already serves another environment.`, "port");
    if (isForeignKeyViolation(error)) throw new NotFoundError("This environment does not exist or was deleted.");
    throw error;
  }
}

/**
 * The split for `setTraffic`: versions left out get weight 0; their backends keep their state.
 * A rollback waits on this, so it costs three round trips inside the transaction: the lock,
 * then the writes and the read of the backends together (postgres.js pipelines statements
 * sent at once on the transaction's connection; none of them depends on another's effect).
 */
export async function setTrafficWeights(db: Database, environmentId: string, weights: TrafficWeights): Promise<RouteEntry> {
  const valid = parse(trafficWeightsSchema, weights);
  const versions = Object.keys(valid);
  return db.transaction(async (tx) => {
    const route = await lockRoute(tx, environmentId);
    const [, , backendRows] = await Promise.all([
      tx
        .delete(routeVersions)
        .where(and(eq(routeVersions.environmentId, environmentId), versions.length ? notInArray(routeVersions.version, versions) : undefined)),
      versions.length > 0
        ? tx
            .insert(routeVersions)
            .values(versions.map((version) => ({ environmentId, version, weight: valid[version] })))
            .onConflictDoUpdate({ target: [routeVersions.environmentId, routeVersions.version], set: { weight: sql`excluded.weight` } })
        : null,
      tx.select().from(routeBackends).where(eq(routeBackends.environmentId, environmentId)).orderBy(asc(routeBackends.url)),
    ]);
    return {
      environmentId,
      port: route.listenPort,
      versions: [...versions].sort().map((version) => ({ version, weight: valid[version] })),
      backends: backendRows.map(({ url, version, state }) => ({ url, version, state })),
      revision: route.revision,
    };
  });
}

/** Adds an instance to its version (or makes a draining one active again). */
export async function addBackend(db: Database, environmentId: string, input: { version: string; url: string }): Promise<RouteEntry> {
  const backend = { environmentId, version: parse(versionName, input.version), url: parse(backendUrlSchema, input.url) };
  return db.transaction(async (tx) => {
    await lockRoute(tx, environmentId);
    await upsertActiveBackend(tx, backend);
    return (await readRouteEntry(tx, environmentId))!;
  });
}

/** New requests stop going to the backend; the router reports it drained when its requests in flight end. */
export async function drainBackend(db: Database, environmentId: string, url: string): Promise<RouteEntry> {
  const backendUrl = parse(backendUrlSchema, url);
  const missing = () => new NotFoundError(`No backend ${url} in this environment's route.`);
  return db.transaction(async (tx) => {
    await lockRoute(tx, environmentId).catch((error: unknown) => {
      throw error instanceof NotFoundError ? missing() : error;
    });
    const found = await tx
      .update(routeBackends)
      .set({ state: "draining" })
      .where(and(eq(routeBackends.environmentId, environmentId), eq(routeBackends.url, backendUrl)))
      .returning({ url: routeBackends.url });
    if (found.length === 0) throw missing();
    return (await readRouteEntry(tx, environmentId))!;
  });
}

/**
 * Takes the backend out of the route. Removing one that is gone is a no-op, as stopping a
 * gone instance is; the route is returned either way (null when the environment has none).
 */
export async function removeBackend(db: Database, environmentId: string, url: string): Promise<RouteEntry | null> {
  const backendUrl = parse(backendUrlSchema, url);
  return db.transaction(async (tx) => {
    const route = await lockRoute(tx, environmentId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!route) return null;
    await tx.delete(routeBackends).where(and(eq(routeBackends.environmentId, environmentId), eq(routeBackends.url, backendUrl)));
    return readRouteEntry(tx, environmentId);
  });
}

/** Stops serving the environment and frees its port; safe to call twice. */
export async function deleteRoute(db: Database, environmentId: string): Promise<void> {
  await db.delete(routes).where(eq(routes.environmentId, environmentId));
}

/**
 * The whole table, read in one snapshot so the router never sees half of a change.
 * `revisions`: include each entry's `revision` (the router does, to order reads and pushes).
 */
export async function readRouteTable(db: Database, { revisions = false }: { revisions?: boolean } = {}): Promise<RouteTable> {
  return db.transaction(
    async (tx) => {
      const [routeRows, versionRows, backendRows] = await Promise.all([
        tx.select({ environmentId: routes.environmentId, listenPort: routes.listenPort, revision: revisionOf }).from(routes).orderBy(asc(routes.environmentId)),
        tx.select().from(routeVersions).orderBy(asc(routeVersions.environmentId), asc(routeVersions.version)),
        tx.select().from(routeBackends).orderBy(asc(routeBackends.environmentId), asc(routeBackends.url)),
      ]);
      return {
        environments: routeRows.map((route) => ({
          environmentId: route.environmentId,
          port: route.listenPort,
          versions: versionRows.filter((v) => v.environmentId === route.environmentId).map(({ version, weight }) => ({ version, weight })),
          backends: backendRows.filter((b) => b.environmentId === route.environmentId).map(({ url, version, state }) => ({ url, version, state })),
          ...(revisions ? { revision: Number(route.revision) } : {}),
        })),
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

/** `routes.updated_at` in whole microseconds since the epoch (exact in a double until the year 2255). */
const revisionOf = sql<string>`(extract(epoch from ${routes.updatedAt}) * 1000000)::bigint`;

/**
 * One environment's route with its revision, as the transaction `tx` sees it; null when it
 * has none. Its three reads go out together, after any statement already sent on `tx`.
 */
export async function readRouteEntry(tx: Tx, environmentId: string): Promise<RouteEntry | null> {
  const [[route], versionRows, backendRows] = await Promise.all([
    tx.select({ listenPort: routes.listenPort, revision: revisionOf }).from(routes).where(eq(routes.environmentId, environmentId)),
    tx.select().from(routeVersions).where(eq(routeVersions.environmentId, environmentId)).orderBy(asc(routeVersions.version)),
    tx.select().from(routeBackends).where(eq(routeBackends.environmentId, environmentId)).orderBy(asc(routeBackends.url)),
  ]);
  if (!route) return null;
  return {
    environmentId,
    port: route.listenPort,
    versions: versionRows.map(({ version, weight }) => ({ version, weight })),
    backends: backendRows.map(({ url, version, state }) => ({ url, version, state })),
    revision: Number(route.revision),
  };
}

async function replaceWeights(tx: Tx, environmentId: string, weights: Record<string, number>) {
  const versions = Object.keys(weights);
  await tx
    .delete(routeVersions)
    .where(and(eq(routeVersions.environmentId, environmentId), versions.length ? notInArray(routeVersions.version, versions) : undefined));
  if (versions.length > 0) {
    await tx
      .insert(routeVersions)
      .values(versions.map((version) => ({ environmentId, version, weight: weights[version] })))
      .onConflictDoUpdate({ target: [routeVersions.environmentId, routeVersions.version], set: { weight: sql`excluded.weight` } });
  }
}

async function upsertActiveBackend(tx: Tx, backend: { environmentId: string; url: string; version: string }) {
  await tx
    .insert(routeBackends)
    .values({ ...backend, state: "active" })
    .onConflictDoUpdate({ target: [routeBackends.environmentId, routeBackends.url], set: { version: backend.version, state: "active" } });
}

/**
 * Serialises writers of one environment's route (its row lock, held to the end of the
 * transaction), moves its revision forward, and says clearly when there is none. The new
 * revision is the time the lock was had, or one microsecond past the last one if the clock
 * is behind it: revisions only grow, and a later writer always gets a higher one.
 */
async function lockRoute(tx: Tx, environmentId: string): Promise<{ listenPort: number; revision: number }> {
  const [route] = await tx
    .update(routes)
    .set({ updatedAt: sql`greatest(clock_timestamp(), ${routes.updatedAt} + interval '1 microsecond')` })
    .where(eq(routes.environmentId, environmentId))
    .returning({ listenPort: routes.listenPort, revision: revisionOf });
  if (!route) throw new NotFoundError("This environment has no route yet; set one with its port first.");
  return { listenPort: route.listenPort, revision: Number(route.revision) };
}

function isForeignKeyViolation(error: unknown): boolean {
  const e = (error as { cause?: unknown })?.cause ?? error;
  return (e as { code?: string })?.code === "23503";
}
