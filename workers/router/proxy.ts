import http from "node:http";
import type { Dispatcher } from "undici";
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

export function createProxyServer(route: ProxyRoute): http.Server {
  const server = http.createServer((req, res) => proxyRequest(route, req, res));
  server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
  server.headersTimeout = CLIENT_KEEP_ALIVE_MS + 1_000;
  return server;
}

/**
 * Streams one request to an instance of the version the split picks, and its response back.
 * A connection that fails before any response is retried once, within the same version,
 * when that is safe: no request body was sent yet, and either the request was never written
 * or the method is idempotent (the instance may have acted on it otherwise). A refused
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
  new Exchange(route, version, req, res, startedAt).attempt(false);
}

/** One client request: the version fixed for it, its forwarded headers and the attempt in progress. */
class Exchange {
  readonly headers: string[];
  readonly hasBody: boolean;
  upstreamBroke = false;
  private current: Attempt | null = null;

  constructor(
    readonly route: ProxyRoute,
    readonly version: string,
    readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse,
    private readonly startedAt: number,
  ) {
    this.headers = forwardedHeaders(req);
    this.hasBody = hasBody(req.rawHeaders);
    res.on("close", () => this.closed());
  }

  attempt(isRetry: boolean, avoid?: Backend): void {
    const backend = this.route.pool.pick(this.version, Date.now(), avoid);
    if (!backend) {
      answer(this.res, 502, `Slipway router: no instance of version "${this.version}" is available (none running, all draining or failing checks).\n`);
      return;
    }
    backend.acquire();
    this.current = new Attempt(this, backend, isRetry);
    // The body is read from the client only once the request is written, so a refused
    // connection leaves it unread and the request can go to another instance whole.
    const { req } = this;
    backend.pool.dispatch({ method: req.method ?? "GET", path: req.url ?? "/", headers: this.headers, body: this.hasBody ? req : null }, this.current);
  }

  private closed(): void {
    if (!this.res.writableFinished) this.current?.cancel();
    const status = this.upstreamBroke ? 502 : this.res.writableFinished ? this.res.statusCode : 499;
    this.route.stats.record(this.version, performance.now() - this.startedAt, status);
  }
}

/** One try at one instance, as undici's handler: its callbacks write the response to the client. */
class Attempt implements Dispatcher.DispatchHandler {
  /** The request is being written: its body read from the client, the instance may act on it. */
  private written = false;
  private responded = false;
  private cancelled = false;
  private abort: ((error?: Error) => void) | null = null;
  private resume: (() => void) | null = null;

  constructor(
    private readonly exchange: Exchange,
    private readonly backend: Backend,
    private readonly isRetry: boolean,
  ) {}

  /** The client went away: stop the upstream request, also one still waiting for a connection. */
  cancel(): void {
    this.cancelled = true;
    this.abort?.();
  }

  onConnect(abort: (error?: Error) => void): void {
    this.written = true;
    if (this.cancelled) abort();
    else this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    this.exchange.res.writeHead(statusCode, statusText, withoutHopByHop(rawHeaders.map(latin1)));
    this.responded = true;
    this.resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    const { res } = this.exchange;
    if (res.write(chunk)) return true;
    // Backpressure: undici stops reading from the instance until the client catches up.
    res.once("drain", this.resume!);
    return false;
  }

  onComplete(): void {
    this.backend.release();
    this.exchange.res.end();
  }

  onError(error: NodeJS.ErrnoException): void {
    this.backend.release();
    const { res, req, version } = this.exchange;
    if (res.destroyed || res.writableFinished) return;
    if (this.responded) {
      this.exchange.upstreamBroke = true;
      res.destroy();
      return;
    }
    if (error.code === "UND_ERR_HEADERS_TIMEOUT") {
      answer(res, 504, `Slipway router: version "${version}" did not answer within ${UPSTREAM_IDLE_TIMEOUT_MS / 1000} s.\n`);
      return;
    }
    if (error.code === "UND_ERR_INVALID_ARG") {
      answer(res, 502, `Slipway router: the request could not be forwarded: ${error.message}\n`);
      return;
    }
    // Only a failed connect says the instance is down.
    const neverConnected = error.syscall === "connect" || error.syscall === "getaddrinfo" || error.code === "UND_ERR_CONNECT_TIMEOUT";
    if (neverConnected) this.backend.eject(error, Date.now());
    const safeToRetry = !this.written || (!this.exchange.hasBody && IDEMPOTENT_METHODS.has(req.method ?? ""));
    if (!this.isRetry && safeToRetry) {
      this.exchange.attempt(true, neverConnected ? this.backend : undefined);
      return;
    }
    answer(res, 502, `Slipway router: version "${version}" failed: ${error.message}\n`);
  }
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

function latin1(bytes: Buffer): string {
  return bytes.toString("latin1");
}

/**
 * Header lines (name, value, name, value...) less the hop-by-hop ones, also those the
 * connection header names; names lower-cased. Lines, not an object, so repeated headers
 * pass as they came and nothing is built that is not sent.
 */
function withoutHopByHop(lines: readonly string[]): string[] {
  const kept: string[] = [];
  let listed: string[] | null = null;
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i].toLowerCase();
    if (name === "connection") (listed ??= []).push(...lines[i + 1].toLowerCase().split(",").map((token) => token.trim()));
    if (!HOP_BY_HOP.has(name)) kept.push(name, lines[i + 1]);
  }
  // Mostly "keep-alive" or "close", hop-by-hop anyway; anything else is dropped too.
  const extra = listed?.filter((name) => !HOP_BY_HOP.has(name));
  if (!extra?.length) return kept;
  const drop = new Set(extra);
  const result: string[] = [];
  for (let i = 0; i < kept.length; i += 2) if (!drop.has(kept[i])) result.push(kept[i], kept[i + 1]);
  return result;
}

/** From the raw lines: `req.headers` would build an object of them on every request. */
function hasBody(lines: readonly string[]): boolean {
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i].toLowerCase();
    if (name === "transfer-encoding" || (name === "content-length" && lines[i + 1] !== "0")) return true;
  }
  return false;
}

function forwardedHeaders(req: http.IncomingMessage): string[] {
  const lines = withoutHopByHop(req.rawHeaders);
  let prior: string | undefined;
  let hasProto = false;
  let hasHost = false;
  let host: string | undefined;
  const headers: string[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i];
    const value = lines[i + 1];
    if (name === "x-forwarded-for") {
      // Repeated lines are one list, in order.
      prior = prior === undefined ? value : `${prior}, ${value}`;
      continue;
    }
    if (name === "x-forwarded-proto") hasProto = true;
    else if (name === "x-forwarded-host") hasHost = true;
    else if (name === "host") host = value;
    headers.push(name, value);
  }
  const client = req.socket.remoteAddress ?? "";
  headers.push("x-forwarded-for", prior ? `${prior}, ${client}` : client);
  // A TLS terminator in front of the router says "https"; otherwise the client spoke plain http to us.
  if (!hasProto) headers.push("x-forwarded-proto", "http");
  if (host && !hasHost) headers.push("x-forwarded-host", host);
  return headers;
}
