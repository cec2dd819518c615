import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
/** A database handle or an open transaction on it: services accept either. */
export type Tx = DbTransaction | Database;

export function connect(url: string, max = 10): { db: Database; sql: postgres.Sql } {
  const sql = postgres(url, { max, onnotice: () => undefined });
  return { db: drizzle(preparingEveryQuery(sql), { schema }), sql };
}

/**
 * drizzle sends its queries through postgres.js's `unsafe`, which leaves them unprepared:
 * each one with parameters then takes two round trips (describe, then execute) and is
 * parsed and planned anew. Prepared, a query seen before on a connection takes one round
 * trip. postgres.js names and caches the statements per connection, keyed by their text,
 * and prepares again when a migration changes a table under one.
 */
export function preparingEveryQuery<T extends postgres.Sql | postgres.TransactionSql>(client: T): T {
  type Unsafe = (query: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => unknown;
  type Scoped = (...args: unknown[]) => unknown;
  return new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (key === "unsafe") return (query: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => (value as Unsafe)(query, params, { ...options, prepare: true });
      // A transaction's (or savepoint's) own handle runs its queries: it is wrapped the same way.
      if (key === "begin" || key === "savepoint") {
        return (...args: unknown[]) => {
          const body = args.pop() as (tx: postgres.TransactionSql) => unknown;
          return (value as Scoped)(...args, (tx: postgres.TransactionSql) => body(preparingEveryQuery(tx)));
        };
      }
      return value;
    },
  });
}

const globalForDb = globalThis as unknown as { slipwayDb?: { db: Database; sql: postgres.Sql } };

/** The process-wide pool, kept on globalThis so hot reloads in development reuse it. */
export function getDb(): Database {
  if (!globalForDb.slipwayDb) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set; start Slipway with `npm start`, which sets it.");
    globalForDb.slipwayDb = connect(url);
  }
  return globalForDb.slipwayDb.db;
}

export function getSql(): postgres.Sql {
  getDb();
  return globalForDb.slipwayDb!.sql;
}

/** An open drizzle transaction (from `db.transaction`). */
export type DbTransaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/**
 * The postgres.js handle under a drizzle transaction, so pg-boss can enqueue
 * work in it and the rows and the jobs about them commit together. drizzle
 * keeps it on the transaction's session; it has no public accessor.
 */
export function rawTransactionClient(tx: DbTransaction): postgres.TransactionSql {
  return (tx as unknown as { session: { client: postgres.TransactionSql } }).session.client;
}
