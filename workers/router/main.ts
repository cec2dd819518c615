import http from "node:http";
import { onShutdown } from "@/server/cli/child-lifecycle";
import { readSettings, SettingsError } from "@/server/config/settings";

/**
 * The traffic router process. It runs apart from web and worker so traffic
 * keeps flowing when either restarts; /healthz tells the web process it lives.
 */
function main() {
  const settings = readSettings();
  const startedAt = new Date().toISOString();
  const server = http.createServer((request, response) => {
    if (request.url === "/healthz") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ ok: true, startedAt }));
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  server.keepAliveTimeout = 65_000;
  server.listen(settings.SLIPWAY_ROUTER_PORT, "127.0.0.1", () => {
    console.log(`router ready on 127.0.0.1:${settings.SLIPWAY_ROUTER_PORT}`);
  });
  onShutdown(() => new Promise((resolve) => server.close(() => resolve())));
}

try {
  main();
} catch (error) {
  console.error(error instanceof SettingsError ? error.message : `router failed to start: ${(error as Error).message}`);
  process.exit(1);
}
