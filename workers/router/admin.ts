import http from "node:http";
import { MAX_WINDOW_SECONDS } from "./histogram";
import type { EnvironmentRoute } from "./route-table";
import type { Router } from "./router";

/**
 * The router's admin port (SLIPWAY_ROUTER_PORT, loopback only):
 *
 * - `GET /healthz`: liveness for the web process's health page.
 * - `GET /routes`: every environment's port, split, backends (state, requests in flight,
 *   drained, ejection) and p50/p99 over 10/30/60 s, plus where the table came from.
 * - `GET /routes/<environmentId>`: the same for one environment; the worker reads the
 *   split in force (`weights`) and waits for a backend's `drained` here.
 * - `GET /metrics/<environmentId>?window=<seconds>`: `VersionMetrics[]` over the last
 *   1..900 s, what the canary analysis reads through `Target.readMetrics`.
 */
export function createAdminServer(router: Router, startedAt: string): http.Server {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://router");
    const parts = url.pathname.split("/").filter(Boolean);
    if (request.method !== "GET") return send(response, 405, { error: "only GET is served here" });
    if (url.pathname === "/healthz") {
      return send(response, 200, { ok: true, startedAt, routes: { ...router.status, environments: router.table.list().length } });
    }
    if (parts[0] === "routes" && parts.length === 1) {
      return send(response, 200, { ...router.status, environments: router.table.list().map((route) => describeRoute(route)) });
    }
    if ((parts[0] === "routes" || parts[0] === "metrics") && parts.length === 2) {
      const route = router.table.get(parts[1]);
      if (!route) return send(response, 404, { error: `the router serves no environment ${parts[1]}` });
      if (parts[0] === "routes") return send(response, 200, describeRoute(route));
      const window = Number(url.searchParams.get("window") ?? "60");
      if (!Number.isInteger(window) || window < 1 || window > MAX_WINDOW_SECONDS) {
        return send(response, 400, { error: `window is a whole number of seconds from 1 to ${MAX_WINDOW_SECONDS}` });
      }
      return send(response, 200, route.stats.metrics(window, route.entryVersions()));
    }
    send(response, 404, { error: "not found" });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

export type RouteDescription = ReturnType<typeof describeRoute>;

export function describeRoute(route: EnvironmentRoute, nowMs = Date.now()) {
  return {
    environmentId: route.environmentId,
    port: route.configuredPort,
    listening: route.listening,
    listenError: route.listenError,
    weights: route.weights,
    backends: route.pool.list().map((backend) => ({
      url: backend.url,
      version: backend.version,
      state: backend.state,
      inFlight: backend.inFlight,
      drained: backend.drained,
      ejectedUntil: backend.ejectedUntil > nowMs ? new Date(backend.ejectedUntil).toISOString() : null,
      lastError: backend.lastError,
    })),
    stats: route.stats.summary(nowMs),
  };
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** Listens on the admin port; resolves once it does, rejects when the port is taken. */
export function listenAdmin(server: http.Server, port: number, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}
