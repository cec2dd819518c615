import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "@/db/schema";
import { preparingEveryQuery } from "@/db/client";
import { readRouteTable, type RouteTable } from "@/server/services/routing";
import { rerunning } from "../rerun";

export const ROUTES_CHANNEL = "slipway_routes";
/** The safety net for a notification lost while the connection was down. */
export const DEFAULT_REREAD_MS = 5_000;
/** A read that takes longer than this is treated as failed; the last good table stays in force. */
const READ_TIMEOUT_MS = 5_000;

export interface DatabaseSourceOptions {
  databaseUrl: string;
  /** Called with each table read and when the read began (`performance.now()`); the router applies and persists it. */
  onTable: (table: RouteTable, readStartedAt: number) => Promise<void>;
  /** Called when a read fails; the router keeps serving what it has. */
  onError: (error: Error) => void;
  rereadMs?: number;
}

export interface DatabaseSource {
  /** Reads the table now (coalesced with a read already running). */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Follows the route tables: LISTEN on `slipway_routes` for changes as they commit, and a
 * re-read every few seconds in case a notification was missed. The LISTEN connection is
 * its own: postgres.js's `sql.listen` gives up re-subscribing when the database is still
 * down at its one reconnect attempt, whereas here every tick re-subscribes a lost
 * connection and reads the table again, so nothing committed meanwhile is missed.
 */
export function watchDatabaseRoutes(options: DatabaseSourceOptions): DatabaseSource {
  const sql = postgres(options.databaseUrl, { max: 1, connect_timeout: 5, idle_timeout: 60, onnotice: () => undefined });
  const db = drizzle(preparingEveryQuery(sql), { schema });
  let stopped = false;
  let listening = false;
  // `onnotify` is what postgres.js's own `listen` uses under the hood; its types leave it out.
  const listenerOptions = {
    max: 1,
    connect_timeout: 5,
    idle_timeout: 0,
    max_lifetime: null,
    onnotice: () => undefined,
    onnotify: () => void reload(),
    onclose: () => {
      listening = false;
    },
  } as postgres.Options<Record<string, never>>;
  const listener = postgres(options.databaseUrl, listenerOptions);

  const readOnce = async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the route table read took over ${READ_TIMEOUT_MS / 1000} s`)), READ_TIMEOUT_MS);
    });
    try {
      return await Promise.race([readRouteTable(db, { revisions: true }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  // One read at a time; a change that arrives during a read gets one more read after it,
  // so a burst of notifications costs two reads, and the last one sees the last commit.
  const onError = (error: Error) => void (stopped || options.onError(error));
  const reading = rerunning(
    async () => {
      // A failed read still lets a change that came meanwhile have its read.
      try {
        const startedAt = performance.now();
        const table = await readOnce();
        if (!stopped) await options.onTable(table, startedAt);
      } catch (error) {
        onError(error as Error);
      }
    },
    { onError, stopped: () => stopped },
  );
  const reload = (): Promise<void> => (stopped ? Promise.resolve() : reading.run());

  let subscribing = false;
  const subscribe = async () => {
    if (subscribing || stopped) return;
    subscribing = true;
    try {
      await listener.unsafe(`listen ${ROUTES_CHANNEL}`);
      listening = true;
      // Changes committed while nobody listened arrive by reading the table once more.
      void reload();
    } catch {
      // The database is unreachable: the read reports it, and the next tick tries again.
    } finally {
      subscribing = false;
    }
  };

  void reload();
  void subscribe();
  const timer = setInterval(() => {
    if (!listening) void subscribe();
    void reload();
  }, options.rereadMs ?? DEFAULT_REREAD_MS);
  timer.unref();

  return {
    reload,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await reading.idle();
      await Promise.all([sql.end({ timeout: 1 }), listener.end({ timeout: 1 })]).catch(() => undefined);
    },
  };
}
