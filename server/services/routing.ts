import { and, asc, eq, notInArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database, Tx } from "@/db/client";
import { routeBackends, routes, routeVersions } from "@/db/schema";
import type { TrafficWeights } from "@/server/deploy/types";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { isUniqueViolation } from "./pg-errors";

/**
 * The router's split for docker and local targets, kept in PostgreSQL. Every write here
 * fires the `slipway_routes` trigger, so the router applies it within milliseconds; the
 * worker never talks to the router to change traffic, only to read what it measured
 * (see workers/router/client.ts).
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

/** What the router serves: one entry per environment, sorted so equal tables serialise equally. */
export const routeTableSchema = z.strictObject({
  environments: z.array(
    z.strictObject({
      environmentId: z.string().uuid(),
      port: z.number().int().min(1024).max(65535),
      versions: z.array(z.strictObject({ version: z.string().min(1), weight: percent })),
      backends: z.array(z.strictObject({ url: backendUrlSchema, version: z.string().min(1), state: z.enum(["active", "draining"]) })),
    }),
  ),
});

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
export async function setRoute(db: Database, environmentId: string, input: RouteInput): Promise<void> {
  const route = parse(routeInputSchema, input);
  try {
    await db.transaction(async (tx) => {
      await tx
        .insert(routes)
        .values({ environmentId, listenPort: route.port })
        .onConflictDoUpdate({ target: routes.environmentId, set: { listenPort: route.port, updatedAt: sql`now()` } });
      await replaceWeights(tx, environmentId, Object.fromEntries(route.versions.map((v) => [v.version, v.weight])));
      const listed = route.versions.flatMap((v) => v.backends.map((url) => ({ environmentId, url, version: v.version })));
      for (const backend of listed) await upsertActiveBackend(tx, backend);
      const urls = listed.map((b) => b.url);
      await tx
        .update(routeBackends)
        .set({ state: "draining" })
        .where(and(eq(routeBackends.environmentId, environmentId), urls.length ? notInArray(routeBackends.url, urls) : undefined));
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`Port ${route.port} already serves another environment.`, "port");
    if (isForeignKeyViolation(error)) throw new NotFoundError("This environment does not exist or was deleted.");
    throw error;
  }
}

/** The split for `setTraffic`: versions left out get weight 0; their backends keep their state. */
export async function setTrafficWeights(db: Database, environmentId: string, weights: TrafficWeights): Promise<void> {
  const valid = parse(trafficWeightsSchema, weights);
  await db.transaction(async (tx) => {
    await lockRoute(tx, environmentId);
    await replaceWeights(tx, environmentId, valid);
  });
}

/** Adds an instance to its version (or makes a draining one active again). */
export async function addBackend(db: Database, environmentId: string, input: { version: string; url: string }): Promise<void> {
  const backend = { environmentId, version: parse(versionName, input.version), url: parse(backendUrlSchema, input.url) };
  await db.transaction(async (tx) => {
    await lockRoute(tx, environmentId);
    await upsertActiveBackend(tx, backend);
  });
}

/** New requests stop going to the backend; the router reports it drained when its requests in flight end. */
export async function drainBackend(db: Database, environmentId: string, url: string): Promise<void> {
  const found = await db
    .update(routeBackends)
    .set({ state: "draining" })
    .where(and(eq(routeBackends.environmentId, environmentId), eq(routeBackends.url, parse(backendUrlSchema, url))))
    .returning({ url: routeBackends.url });
  if (found.length === 0) throw new NotFoundError(`No backend ${url} in this environment's route.`);
}

/** Takes the backend out of the route. Removing one that is gone is a no-op, as stopping a gone instance is. */
export async function removeBackend(db: Database, environmentId: string, url: string): Promise<void> {
  await db.delete(routeBackends).where(and(eq(routeBackends.environmentId, environmentId), eq(routeBackends.url, parse(backendUrlSchema, url))));
}

/** Stops serving the environment and frees its port; safe to call twice. */
export async function deleteRoute(db: Database, environmentId: string): Promise<void> {
  await db.delete(routes).where(eq(routes.environmentId, environmentId));
}

/** The whole table, read in one snapshot so the router never sees half of a change. */
export async function readRouteTable(db: Database): Promise<RouteTable> {
  return db.transaction(
    async (tx) => {
      const [routeRows, versionRows, backendRows] = await Promise.all([
        tx.select().from(routes).orderBy(asc(routes.environmentId)),
        tx.select().from(routeVersions).orderBy(asc(routeVersions.environmentId), asc(routeVersions.version)),
        tx.select().from(routeBackends).orderBy(asc(routeBackends.environmentId), asc(routeBackends.url)),
      ]);
      return {
        environments: routeRows.map((route) => ({
          environmentId: route.environmentId,
          port: route.listenPort,
          versions: versionRows.filter((v) => v.environmentId === route.environmentId).map(({ version, weight }) => ({ version, weight })),
          backends: backendRows.filter((b) => b.environmentId === route.environmentId).map(({ url, version, state }) => ({ url, version, state })),
        })),
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
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
  await tx.update(routes).set({ updatedAt: sql`now()` }).where(eq(routes.environmentId, environmentId));
}

async function upsertActiveBackend(tx: Tx, backend: { environmentId: string; url: string; version: string }) {
  await tx
    .insert(routeBackends)
    .values({ ...backend, state: "active" })
    .onConflictDoUpdate({ target: [routeBackends.environmentId, routeBackends.url], set: { version: backend.version, state: "active" } });
}

/** Serialises writers of one environment's route, and says clearly when there is none. */
async function lockRoute(tx: Tx, environmentId: string) {
  const [route] = await tx.select({ id: routes.environmentId }).from(routes).where(eq(routes.environmentId, environmentId)).for("update");
  if (!route) throw new NotFoundError("This environment has no route yet; set one with its port first.");
}

function isForeignKeyViolation(error: unknown): boolean {
  const e = (error as { cause?: unknown })?.cause ?? error;
  return (e as { code?: string })?.code === "23503";
}
