import type { RouteEntry, RouteTable } from "@/server/services/routing";
import { watchDatabaseRoutes, type DatabaseSource } from "./database-source";
import { PersistedRouteTable, routeTableFile } from "./persist";
import { RouteTableState, type PushOutcome } from "./route-table";

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
  /** When a worker last pushed a route it had committed (see `Router.push`). */
  pushedAt: string | null;
}

export interface Router {
  readonly table: RouteTableState;
  readonly status: RouterStatus;
  /** Serves `table` as if the database had returned it (tests, benchmarks). */
  apply(table: RouteTable): Promise<void>;
  /**
   * A route a worker just committed to the database, served at once instead of after the
   * notification and the re-read (`PUT /routes/<environmentId>` on the admin port). The
   * database stays the source: a later read replaces it, and an environment the router does
   * not serve yet (or on another port) is read from the database instead.
   */
  push(entry: RouteEntry): PushOutcome;
  /**
   * A split a worker is about to write to the database, served at once and held against
   * reads that do not show it yet (`PUT /routes/<environmentId>/split`): a rollback's move
   * back to stable does not wait for a database that a loaded machine makes slow.
   */
  hold(environmentId: string, weights: Record<string, number>): PushOutcome;
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
  const status: RouterStatus = { source: "none", loadedAt: null, databaseError: null, pushedAt: null };
  let reportedError: string | null = null;

  const serve = async (next: RouteTable, source: TableSource, readStartedAt?: number) => {
    await table.apply(next, readStartedAt);
    status.source = source;
    status.loadedAt = new Date().toISOString();
  };

  // The table in force is saved in the background, one write at a time, the last one with
  // the latest table: a slow disk must never hold back the next change of split.
  let saving: Promise<void> | null = null;
  let saveAgain = false;
  let closed = false;
  const saveSoon = () => {
    // Once closing, the table empties: that must never overwrite the last good one on disk.
    if (closed) return;
    if (saving) {
      saveAgain = true;
      return;
    }
    saving = (async () => {
      do {
        saveAgain = false;
        await persisted.save(table.snapshot()).catch((error: Error) => console.error(`could not save the route table: ${error.message}`));
      } while (saveAgain);
    })().finally(() => {
      saving = null;
    });
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
      onTable: async (next, readStartedAt) => {
        await serve(next, "database", readStartedAt);
        status.databaseError = null;
        if (reportedError) console.log("route table read from the database again");
        reportedError = null;
        saveSoon();
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
    push(entry) {
      const outcome = table.push(entry);
      if (outcome === "applied") {
        status.pushedAt = new Date().toISOString();
        saveSoon();
      } else if (outcome === "unknown") {
        void database?.reload();
      }
      return outcome;
    },
    hold(environmentId, weights) {
      const outcome = table.hold(environmentId, weights);
      if (outcome === "applied") {
        status.pushedAt = new Date().toISOString();
        saveSoon();
      }
      return outcome;
    },
    reload: () => database?.reload() ?? Promise.resolve(),
    async close() {
      clearInterval(forgetTimer);
      await database?.stop();
      // The last table in force is on disk before the ports close.
      await saving;
      closed = true;
      await table.close();
    },
  };
}
