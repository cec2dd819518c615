import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { connect, type Database } from "../client";
import { createDatabaseIfMissing } from "../embedded";
import { TEMPLATE_DATABASE, withDatabase } from "./global-setup";

export type TestDatabase = { db: Database; url: string; close: () => Promise<void> };

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = inject("testDatabaseServer");
  const name = `slipway_test_${randomBytes(6).toString("hex")}`;
  await createDatabaseIfMissing(server, name, TEMPLATE_DATABASE);
  const url = withDatabase(server, name);
  const { db, sql } = connect(url, 5);
  return { db, url, close: () => sql.end() };
}
