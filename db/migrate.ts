import path from "node:path";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { migrateBoss } from "@/server/queue/boss";
import { connect } from "./client";

/** Resolved from the working directory, which npm sets to the project root, so bundles find it too. */
export const migrationsFolder = path.resolve(process.cwd(), "db/migrations");

/** Applies every pending drizzle migration and pg-boss's own schema; safe to run on each start. */
export async function migrateDatabase(url: string): Promise<void> {
  const { db, sql } = connect(url, 1);
  try {
    await migrate(db, { migrationsFolder });
  } finally {
    await sql.end();
  }
  await migrateBoss(url);
}
