import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteEntry } from "@/server/services/routing";

/**
 * Helpers for the router's tests and benchmark: real upstream servers on loopback, a
 * keep-alive client, and table entries. Not used by the router itself.
 */

export interface Upstream {
  url: string;
  name: string;
  /** Requests this upstream received, in order. */
  received: http.IncomingMessage[];
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, name: string) => void;

const echoName: Handler = (_req, res, name) => {
  res.writeHead(200, { "content-type": "text/plain" }).end(name);
};

/** An instance on 127.0.0.1 that answers with its name unless `handler` says otherwise. */
export async function startUpstream(name: string, handler: Handler = echoName): Promise<Upstream> {
  const received: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    received.push(req);
    handler(req, res, name);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    name,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An address nothing listens on, so connections to it are refused. */
export async function refusingUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request over `agent` (keep-alive by default), the body read whole. */
export function send(
  url: string,
  { method = "GET", body, headers = {}, agent }: { method?: string; body?: string; headers?: http.OutgoingHttpHeaders; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: agent ?? keepAliveAgent }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: response.headers }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

export const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function entry(port: number, versions: Record<string, { weight: number; backends: string[]; draining?: string[] }>): RouteEntry {
  return {
    environmentId: randomUUID(),
    port,
    versions: Object.entries(versions).map(([version, v]) => ({ version, weight: v.weight })),
    backends: Object.entries(versions).flatMap(([version, v]) => [
      ...v.backends.map((url) => ({ url, version, state: "active" as const })),
      ...(v.draining ?? []).map((url) => ({ url, version, state: "draining" as const })),
    ]),
  };
}

/** Polls `check` every few milliseconds until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - started;
}
