import http from "node:http";
import { UPSTREAM_IDLE_TIMEOUT_MS, type Backend, type BackendPool } from "./draining";
import type { EnvironmentStats } from "./stats";

/** What the proxy needs of an environment's route; the route-table swaps its contents, never this object. */
export interface ProxyRoute {
  /** The version for the next request, from the split in force now; undefined when it serves nothing. */
  pickVersion(): string | undefined;
  readonly pool: BackendPool;
  readonly stats: EnvironmentStats;
}

/** Longer than the usual 60 s of browsers and load balancers, so the client closes idle connections first. */
const CLIENT_KEEP_ALIVE_MS = 65_000;

/** RFC 9110 §7.6.1 hop-by-hop headers, plus `expect`, which the router's own server already answered. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

class UpstreamTimeoutError extends Error {}

export function createProxyServer(route: ProxyRoute): http.Server {
  const server = http.createServer((req, res) => proxyRequest(route, req, res));
  server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
  server.headersTimeout = CLIENT_KEEP_ALIVE_MS + 1_000;
  return server;
}

/**
 * Streams one request to an instance of the version the split picks, and its response back.
 * A connection that fails before any response is retried once, within the same version,
 * when that is safe: no request body was sent yet, and either the connection was never
 * made or the method is idempotent (the instance may have acted on it otherwise). A refused
 * connection retries on another instance; a reset keep-alive connection may retry on the
 * same one, since that is the ordinary race with the instance closing it as idle.
 * The request counts once, for its version, when the client's response closes.
 */
export function proxyRequest(route: ProxyRoute, req: http.IncomingMessage, res: http.ServerResponse): void {
  const startedAt = performance.now();
  const version = route.pickVersion();
  if (version === undefined) {
    answer(res, 503, "Slipway router: this environment serves no version right now (its traffic split is empty).\n");
    return;
  }
  const headers = forwardedHeaders(req);
  const hasBody = req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0";
  let current: http.ClientRequest | null = null;
  let upstreamBroke = false;

  res.once("close", () => {
    if (!res.writableFinished) current?.destroy();
    const status = upstreamBroke ? 502 : res.writableFinished ? res.statusCode : 499;
    route.stats.record(version, performance.now() - startedAt, status);
  });

  const attempt = (isRetry: boolean, avoid?: Backend) => {
    const backend = route.pool.pick(version, Date.now(), avoid);
    if (!backend) {
      answer(res, 502, `Slipway router: no instance of version "${version}" is available (none running, all draining or failing checks).\n`);
      return;
    }
    backend.acquire();
    let bodySent = false;
    let responded = false;
    let upstream: http.ClientRequest;
    try {
      upstream = http.request({ host: backend.host, port: backend.port, method: req.method, path: req.url, headers, agent: backend.agent });
    } catch (error) {
      backend.release();
      answer(res, 502, `Slipway router: the request could not be forwarded: ${(error as Error).message}\n`);
      return;
    }
    current = upstream;
    upstream.once("close", () => backend.release());
    // The agent's socket timeout (see Backend) surfaces here, without a timer per request.
    upstream.once("timeout", () => upstream.destroy(new UpstreamTimeoutError()));

    if (hasBody) {
      // The body is read from the client only once the upstream connection stands, so a refused
      // connection leaves it unread and the request can go to another instance whole.
      const sendBody = () => {
        bodySent = true;
        req.pipe(upstream);
      };
      upstream.once("socket", (socket) => (socket.connecting ? socket.once("connect", sendBody) : sendBody()));
    } else {
      upstream.end();
    }

    upstream.once("response", (upstreamRes) => {
      responded = true;
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, withoutHopByHop(upstreamRes.headers));
      upstreamRes.pipe(res);
      const broke = () => {
        upstreamBroke = true;
        res.destroy();
      };
      upstreamRes.once("error", broke);
      upstreamRes.once("close", () => upstreamRes.complete || broke());
    });

    upstream.once("error", (error: NodeJS.ErrnoException) => {
      if (res.destroyed || res.writableFinished) return;
      if (responded) {
        upstreamBroke = true;
        res.destroy();
        return;
      }
      if (error instanceof UpstreamTimeoutError) {
        answer(res, 504, `Slipway router: version "${version}" did not answer within ${UPSTREAM_IDLE_TIMEOUT_MS / 1000} s.\n`);
        return;
      }
      // Only a failed connect says the instance is down.
      const neverConnected = error.syscall === "connect" || error.syscall === "getaddrinfo";
      if (neverConnected) backend.eject(error, Date.now());
      const safeToRetry = !bodySent && (neverConnected || IDEMPOTENT_METHODS.has(req.method ?? ""));
      if (!isRetry && safeToRetry) {
        attempt(true, neverConnected ? backend : undefined);
        return;
      }
      answer(res, 502, `Slipway router: version "${version}" failed: ${error.message}\n`);
    });
  };
  attempt(false);
}

/** A response of the router's own, or the end of the connection when one has begun. */
function answer(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(message), "x-slipway-router": "1" });
  res.end(message);
}

function withoutHopByHop(source: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const listed = source.connection ? new Set(source.connection.toLowerCase().split(",").map((h) => h.trim())) : null;
  const result: http.OutgoingHttpHeaders = {};
  for (const name in source) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    result[name] = source[name];
  }
  return result;
}

function forwardedHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  // Node frames the body again itself; it only needs to know to use chunks.
  if (req.headers["transfer-encoding"] !== undefined) headers["transfer-encoding"] = "chunked";
  const client = req.socket.remoteAddress ?? "";
  const prior = req.headers["x-forwarded-for"];
  headers["x-forwarded-for"] = prior ? `${prior}, ${client}` : client;
  // A TLS terminator in front of the router says "https"; otherwise the client spoke plain http to us.
  headers["x-forwarded-proto"] ??= "http";
  if (req.headers.host) headers["x-forwarded-host"] ??= req.headers.host;
  return headers;
}
