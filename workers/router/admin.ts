import http from "node:http";
import { routeEntrySchema, trafficWeightsSchema } from "@/server/services/routing";
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
 * - `PUT /routes/<environmentId>`: a route the worker has just committed to the database
 *   (`routeEntrySchema`, with its revision), served at once: `{ outcome }` says whether it
 *   is in force now, was older than the one in force, or is left to the database read.
 * - `PUT /routes/<environmentId>/split`: `{ weights }` the worker is about to write, served
 *   at once and held until the database shows them (at most HOLD_MS of reads that do not).
 *
 * Neither write makes the router serve for long what the database does not say. Like the
 * reads, they are for this machine only: a process here that can reach the port runs as
 * the user that holds DATABASE_URL, and could change the route rows themselves.
 */
export function createAdminServer(router: Router, startedAt: string): http.Server {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://router");
    const parts = url.pathname.split("/").filter(Boolean);
    if (request.method === "PUT" && parts[0] === "routes" && parts.length === 2) return receivePush(router, parts[1], request, response);
    if (request.method === "PUT" && parts[0] === "routes" && parts.length === 3 && parts[2] === "split") return receiveHold(router, parts[1], request, response);
    if (request.method !== "GET") return send(response, 405, { error: "only GET, and PUT of a route, are served here" });
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
    /** The split the database has; differs from `weights` while a pushed split is held. */
    committedWeights: route.committedWeights,
    holding: route.holding && { weights: route.holding.weights, forMs: Math.round(performance.now() - route.holding.sinceMs) },
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

/** Routes are small: a few versions and instances. */
const MAX_PUSH_BYTES = 1 << 20;

function receivePush(router: Router, environmentId: string, request: http.IncomingMessage, response: http.ServerResponse): void {
  readJson(request, response, (body) => {
    const parsed = routeEntrySchema.safeParse(body);
    if (!parsed.success) return send(response, 400, { error: parsed.error.issues[0]?.message ?? "not a route" });
    if (parsed.data.environmentId !== environmentId) return send(response, 400, { error: "the route is for another environment" });
    if (parsed.data.revision === undefined) return send(response, 400, { error: "a pushed route needs its revision" });
    send(response, 200, { outcome: router.push(parsed.data) });
  });
}

function receiveHold(router: Router, environmentId: string, request: http.IncomingMessage, response: http.ServerResponse): void {
  readJson(request, response, (body) => {
    const parsed = trafficWeightsSchema.safeParse((body as { weights?: unknown } | null)?.weights);
    if (!parsed.success) return send(response, 400, { error: parsed.error.issues[0]?.message ?? "not a split" });
    send(response, 200, { outcome: router.hold(environmentId, parsed.data) });
  });
}

/** The request's body as JSON, to `use`; answers 413 or 400 itself when it is too large or not JSON. */
function readJson(request: http.IncomingMessage, response: http.ServerResponse, use: (body: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_PUSH_BYTES) {
      send(response, 413, { error: `a body is at most ${MAX_PUSH_BYTES} bytes` });
      request.destroy();
      return;
    }
    chunks.push(chunk);
  });
  request.on("end", () => {
    if (response.headersSent) return;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(response, 400, { error: "the body is not JSON" });
    }
    use(body);
  });
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
