import { existsSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { connect } from "@/db/client";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { PRIORITY } from "@/server/config/cpu-priority";
import { assertPortFree, PortInUseError } from "@/server/config/ports";
import { deriveKey, loadSecretKey } from "@/server/config/secret-key";
import { readSettings, SettingsError, type Settings } from "@/server/config/settings";
import { ensureDemoProject } from "@/server/services/demo";
import { ensureFirstAdmin } from "@/server/services/users";
import { Children } from "./children";
import { AlreadyRunningError, acquireDataDirLock } from "./lock";

const root = process.cwd();

/** `npm start`: PostgreSQL (embedded unless DATABASE_URL is set), migrations, then web, worker and router. */
async function main() {
  const startedAt = performance.now();
  const settings = readSettings();
  const releaseLock = acquireDataDirLock(settings.dataDir);
  let stopDatabase = async () => {};
  const children = new Children((name) => {
    console.error(`[slipway] ${name} keeps crashing; stopping Slipway. Its last lines are above.`);
    void shutdown(1);
  });

  let shuttingDown = false;
  async function shutdown(code: number) {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log("[slipway] stopping…");
    await children.stopAll();
    await stopDatabase().catch(() => undefined);
    releaseLock();
    process.exit(code);
  }
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    await assertPortFree(settings.PORT, "PORT", "0.0.0.0");
    await assertPortFree(settings.SLIPWAY_ROUTER_PORT, "SLIPWAY_ROUTER_PORT");
    const key = loadSecretKey(settings, settings.dataDir, { create: true });

    let databaseUrl = settings.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({
        dataDir: settings.dataDir,
        port: settings.SLIPWAY_DB_PORT,
        portVariable: "SLIPWAY_DB_PORT",
        database: "slipway",
      });
      stopDatabase = pg.stop;
      databaseUrl = pg.url;
    }
    await migrateDatabase(databaseUrl);
    const { admin, demo } = await seed(databaseUrl, settings);
    ensureBuilt();

    const env = {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: databaseUrl,
      SLIPWAY_SECRET_KEY: key.toString("hex"),
      AUTH_SECRET: deriveKey(key, "auth").toString("hex"),
      AUTH_URL: settings.url,
      PORT: String(settings.PORT),
    } as NodeJS.ProcessEnv;
    const bundle = (name: string) => [path.join(root, ".slipway-build", `${name}.mjs`)];
    children.start({ name: "router", args: bundle("router"), env });
    // Pipelines and deployments give way to traffic (see cpu-priority.ts).
    children.start({ name: "worker", args: bundle("worker"), env, priority: PRIORITY.worker });
    children.start({ name: "web", args: bundle("web"), env });

    const healthy = await waitForHealth(settings.PORT);
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    console.log(
      [
        "",
        `Slipway is running at ${settings.url} (${healthy ? `healthy after ${seconds} s` : "not healthy yet: see /api/health"})`,
        admin.generatedPassword
          ? `  Sign in as ${admin.email} with the password ${admin.generatedPassword}\n  (shown this once; set SLIPWAY_ADMIN_PASSWORD before the first start to choose it)`
          : admin.created
            ? `  Sign in as ${admin.email} with the password from SLIPWAY_ADMIN_PASSWORD`
            : `  Sign in as ${admin.email} with the password printed at the first start`,
        `  Demo project: ${settings.url}/projects/${demo.slug}`,
        `  Data: ${settings.DATABASE_URL ? "DATABASE_URL" : settings.dataDir}. Stop with Ctrl-C.`,
        "",
      ].join("\n"),
    );
  } catch (error) {
    console.error(error instanceof PortInUseError ? error.message : `Slipway could not start: ${(error as Error).message}`);
    await shutdown(1);
  }
}

async function seed(databaseUrl: string, settings: Settings) {
  const { db, sql } = connect(databaseUrl, 2);
  try {
    const admin = await ensureFirstAdmin(db, { email: settings.SLIPWAY_ADMIN_EMAIL, password: settings.SLIPWAY_ADMIN_PASSWORD });
    const demo = await ensureDemoProject(db, settings.dataDir);
    return { admin, demo };
  } finally {
    await sql.end();
  }
}

/** A fresh clone has no production build yet: make one (it takes seconds). */
function ensureBuilt() {
  if (existsSync(path.join(root, ".next", "BUILD_ID"))) return;
  console.log("[slipway] building the web app (first start only)…");
  const result = spawnSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("the web app did not build; the errors are above");
}

async function waitForHealth(port: number, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

main().catch((error) => {
  const known = error instanceof SettingsError || error instanceof AlreadyRunningError;
  console.error(known ? error.message : `Slipway could not start: ${(error as Error).stack}`);
  process.exit(1);
});
