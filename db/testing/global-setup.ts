import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { createDatabaseIfMissing, startEmbeddedPostgres } from "../embedded";
import { migrateDatabase } from "../migrate";
import { freePort } from "../../server/config/ports";

export const TEMPLATE_DATABASE = "slipway_test_template";

declare module "vitest" {
  export interface ProvidedContext {
    testDatabaseServer: string;
  }
}

/**
 * One real PostgreSQL for the whole test run: DATABASE_URL's server when set,
 * else an embedded one in a temporary folder. A migrated template database lets
 * each test file get its own fresh database in milliseconds.
 */
export default async function setup({ provide }: TestProject) {
  let serverUrl: string;
  let teardown = async () => {};
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = "/postgres";
    serverUrl = url.toString();
  } else {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-test-"));
    const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), portVariable: "SLIPWAY_DB_PORT", database: "postgres" });
    serverUrl = pg.url;
    teardown = async () => {
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const templateUrl = withDatabase(serverUrl, TEMPLATE_DATABASE);
  await dropDatabase(serverUrl, TEMPLATE_DATABASE);
  await createDatabaseIfMissing(serverUrl, TEMPLATE_DATABASE);
  await migrateDatabase(templateUrl);
  provide("testDatabaseServer", serverUrl);
  return teardown;
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function dropDatabase(serverUrl: string, database: string) {
  const { default: postgres } = await import("postgres");
  const sql = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`drop database if exists "${database}" with (force)`);
  } finally {
    await sql.end();
  }
}
