import { sql } from "drizzle-orm";
import { check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { environments } from "./projects";

/**
 * The traffic split the router serves for docker and local targets. A trigger (in the
 * migration) sends `pg_notify('slipway_routes', environment_id)` on every change to these
 * tables, so the router applies a new split within milliseconds; it re-reads them
 * periodically as well, in case a notification was missed while it was disconnected.
 */
export const routes = pgTable(
  "routes",
  {
    environmentId: uuid("environment_id")
      .primaryKey()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** The port the router listens on for this environment's traffic. */
    listenPort: integer("listen_port").notNull().unique(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("routes_listen_port_range", sql`${t.listenPort} between 1024 and 65535`)],
);

/** Share of the environment's requests per version, in whole percent. */
export const routeVersions = pgTable(
  "route_versions",
  {
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => routes.environmentId, { onDelete: "cascade" }),
    version: text("version").notNull(),
    weight: integer("weight").notNull(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.version] }), check("route_versions_weight_percent", sql`${t.weight} between 0 and 100`)],
);

/** `draining`: gets no new requests; the router reports it drained once its requests in flight finish. */
export const routeBackendState = pgEnum("route_backend_state", ["active", "draining"]);

/**
 * One instance of a version, as the router reaches it. A backend whose version has no
 * `route_versions` row serves with weight 0 (it only finishes what it has in flight).
 */
export const routeBackends = pgTable(
  "route_backends",
  {
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => routes.environmentId, { onDelete: "cascade" }),
    /** e.g. http://127.0.0.1:41234 */
    url: text("url").notNull(),
    version: text("version").notNull(),
    state: routeBackendState("state").notNull().default("active"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.url] }), index("route_backends_version").on(t.environmentId, t.version)],
);

export type Route = typeof routes.$inferSelect;
export type RouteVersion = typeof routeVersions.$inferSelect;
export type RouteBackend = typeof routeBackends.$inferSelect;
