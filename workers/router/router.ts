import type { RouteTable } from "@/server/services/routing";
import { watchDatabaseRoutes, type DatabaseSource } from "./database-source";
import { PersistedRouteTable, routeTableFile } from "./persist";
import { RouteTableState } from "./route-table";

export interface RouterOptions {
  /** Where the last good table is kept across restarts (SLIPWAY_DATA_DIR). */
  dataDir: string;
  /** Omitted in tests and benchmarks that hand the router its table with `apply`. */
  databaseUrl?: string;
  /** Address the environments' ports listen on. */
  listenHost?: string;
  rereadMs?: number;
}

/** Where the table in force came from: a restart serves "file" until the database answers. */
export type TableSource = "none" | "file" | "database" | "direct";

export interface RouterStatus {
  source: TableSource;
  /** When the table in force was read. */
  loadedAt: string | null;
  /** The last failed database read, cleared by the next good one. */
  databaseError: string | null;
}

export interface Router {
  readonly table: RouteTableState;
  readonly status: RouterStatus;
  /** Serves `table` as if the database had returned it (tests, benchmarks). */
  apply(table: RouteTable): Promise<void>;
  /** Reads the database now instead of waiting for a notification or the next tick. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** How often stats of versions that left the split are looked at for dropping. */
const FORGET_IDLE_EVERY_MS = 60_000;

/**
 * The router's data path: serve the persisted table at once, then follow the database.
 * A failed read never changes what is served, so traffic keeps its last good split while
 * PostgreSQL or the workers are down.
 */
export async function startRouter(options: RouterOptions): Promise<Router> {
  const table = new RouteTableState(options.listenHost ?? "0.0.0.0");
  const persisted = new PersistedRouteTable(routeTableFile(options.dataDir));
  const status: RouterStatus = { source: "none", loadedAt: null, databaseError: null };
  let reportedError: string | null = null;

  const serve = async (next: RouteTable, source: TableSource) => {
    await table.apply(next);
    status.source = source;
    status.loadedAt = new Date().toISOString();
  };

  const saved = await persisted.load().catch((error: Error) => {
    console.error(`could not read the saved route table: ${error.message}`);
    return null;
  });
  // A saved table that cannot be served (its ports taken, say) must not keep the router from starting.
  if (saved) await serve(saved, "file").catch((error: Error) => console.error(`could not serve the saved route table: ${error.message}`));

  let database: DatabaseSource | null = null;
  if (options.databaseUrl) {
    database = watchDatabaseRoutes({
      databaseUrl: options.databaseUrl,
      rereadMs: options.rereadMs,
      onTable: async (next) => {
        await serve(next, "database");
        status.databaseError = null;
        if (reportedError) console.log("route table read from the database again");
        reportedError = null;
        await persisted.save(next).catch((error: Error) => console.error(`could not save the route table: ${error.message}`));
      },
      onError: (error) => {
        status.databaseError = error.message;
        // One line per outage, not one per tick.
        if (reportedError === null) console.error(`could not read the route table; serving the last good one: ${error.message}`);
        reportedError = error.message;
      },
    });
  }

  const forgetTimer = setInterval(() => table.forgetIdleStats(), FORGET_IDLE_EVERY_MS);
  forgetTimer.unref();

  return {
    table,
    status,
    apply: (next) => serve(next, "direct"),
    reload: () => database?.reload() ?? Promise.resolve(),
    async close() {
      clearInterval(forgetTimer);
      await database?.stop();
      await table.close();
    },
  };
}
