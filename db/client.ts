import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Database = PostgresJsDatabase<typeof schema>;
/** A database handle or an open transaction on it: services accept either. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0] | Database;

export function connect(url: string, max = 10): { db: Database; sql: postgres.Sql } {
  const sql = postgres(url, { max, onnotice: () => undefined });
  return { db: drizzle(sql, { schema }), sql };
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
