import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { startEmbeddedPostgres } from "@/db/embedded";
import type { Settings } from "@/server/config/settings";
import { AlreadyRunningError, acquireDataDirLock } from "./lock";

/**
 * The database for a command-line tool: DATABASE_URL, else the embedded
 * PostgreSQL of a running Slipway, else that embedded server started just for
 * the command (and stopped by the returned `close`).
 */
export async function openCliDatabase(settings: Settings): Promise<{ url: string; close: () => Promise<void> }> {
  if (settings.DATABASE_URL) return { url: settings.DATABASE_URL, close: async () => {} };
  const passwordFile = path.join(settings.dataDir, "postgres-password");
  if (!existsSync(passwordFile)) {
    throw new Error(`There is no Slipway database in ${settings.dataDir}: start Slipway once with \`npm start\`, or set DATABASE_URL.`);
  }
  let release: () => void;
  try {
    release = acquireDataDirLock(settings.dataDir);
  } catch (error) {
    if (!(error instanceof AlreadyRunningError)) throw error;
    const password = readFileSync(passwordFile, "utf8").trim();
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${settings.SLIPWAY_DB_PORT}/slipway`;
    return { url, close: async () => {} };
  }
  const pg = await startEmbeddedPostgres({ dataDir: settings.dataDir, port: settings.SLIPWAY_DB_PORT, portVariable: "SLIPWAY_DB_PORT", database: "slipway" });
  return {
    url: pg.url,
    close: async () => {
      await pg.stop();
      release();
    },
  };
}
