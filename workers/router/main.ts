import { onShutdown } from "@/server/cli/child-lifecycle";
import { readSettings, SettingsError } from "@/server/config/settings";
import { createAdminServer, listenAdmin } from "./admin";
import { startRouter } from "./router";

/**
 * The traffic router process. It runs apart from web and worker so traffic keeps flowing
 * when either restarts: it serves each environment's port from the last good route table
 * (saved under SLIPWAY_DATA_DIR) and follows the database for changes. The admin port
 * (SLIPWAY_ROUTER_PORT, loopback) answers /healthz, /routes and /metrics.
 */
async function main() {
  const settings = readSettings();
  const startedAt = new Date().toISOString();
  const router = await startRouter({
    dataDir: settings.dataDir,
    databaseUrl: settings.DATABASE_URL,
    // Environments are what users reach, like the web app on PORT: all interfaces.
    listenHost: "0.0.0.0",
  });
  const admin = createAdminServer(router, startedAt);
  await listenAdmin(admin, settings.SLIPWAY_ROUTER_PORT);
  console.log(`router ready on 127.0.0.1:${settings.SLIPWAY_ROUTER_PORT} (${router.table.list().length} environments from ${router.status.source})`);
  onShutdown(async () => {
    await new Promise<void>((resolve) => {
      admin.close(() => resolve());
      admin.closeIdleConnections();
    });
    await router.close();
  });
}

main().catch((error) => {
  console.error(error instanceof SettingsError ? error.message : `router failed to start: ${(error as Error).message}`);
  process.exit(1);
});
