import http from "node:http";
import net from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/server/config/ports";
import { describeRoute } from "./admin";
import { startRouter, type Router } from "./router";
import { entry, refusingUrl, send, startUpstream, waitUntil, type Upstream } from "./testing";

let dataDir: string;
let router: Router;
const upstreams: Upstream[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-router-"));
  router = await startRouter({ dataDir, listenHost: "127.0.0.1" });
});

afterEach(async () => {
  await router.apply({ environments: [] });
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

afterAll(async () => {
  await router.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]) {
  const started = await startUpstream(name, handler);
  upstreams.push(started);
  return started;
}

async function serve(versions: Parameters<typeof entry>[1]) {
  const port = await freePort();
  const route = entry(port, versions);
  await router.apply({ environments: [route] });
  return { url: `http://127.0.0.1:${port}`, route, id: route.environmentId };
}

describe("weighted split", () => {
  it("sends exactly 9 of 10 requests to stable and 1 to the canary over 100 requests", async () => {
    const [stable, canary] = [await upstream("stable"), await upstream("canary")];
    const { url } = await serve({ stable: { weight: 90, backends: [stable.url] }, canary: { weight: 10, backends: [canary.url] } });
    const bodies: string[] = [];
    for (let i = 0; i < 100; i++) bodies.push((await send(url)).body);
    expect(bodies.filter((b) => b === "stable")).toHaveLength(90);
    expect(bodies.filter((b) => b === "canary")).toHaveLength(10);
  });

  it("answers 503 when the split is empty", async () => {
    const { url } = await serve({});
    const reply = await send(url);
    expect(reply.status).toBe(503);
    expect(reply.body).toMatch(/serves no version/);
  });

  it("balances round-robin over the instances of one version", async () => {
    const [a, b] = [await upstream("a"), await upstream("b")];
    const { url } = await serve({ v1: { weight: 100, backends: [a.url, b.url] } });
    const bodies = [];
    for (let i = 0; i < 6; i++) bodies.push((await send(url)).body);
    expect(bodies.sort()).toEqual(["a", "a", "a", "b", "b", "b"]);
  });
});

describe("forwarding", () => {
  it("streams the request body and the response, strips hop-by-hop headers and sets x-forwarded-*", async () => {
    const echo = await upstream("echo", (req, res) => {
      res.writeHead(201, { "x-seen": JSON.stringify(req.headers), connection: "keep-alive, x-upstream-hop", "x-upstream-hop": "1", "keep-alive": "timeout=5" });
      req.pipe(res);
    });
    const { url } = await serve({ v1: { weight: 100, backends: [echo.url] } });
    const body = "x".repeat(200_000);
    const reply = await send(`${url}/upload?q=1`, {
      method: "POST",
      body,
      headers: { connection: "keep-alive, x-client-hop", "x-client-hop": "1", te: "trailers", "x-forwarded-for": "203.0.113.9", "x-app": "kept" },
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toBe(body);
    expect(reply.headers["x-upstream-hop"]).toBeUndefined();
    const seen = JSON.parse(reply.headers["x-seen"] as string) as Record<string, string>;
    expect(seen).toMatchObject({ "x-app": "kept", "x-forwarded-for": "203.0.113.9, 127.0.0.1", "x-forwarded-proto": "http" });
    expect(seen["x-client-hop"]).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(echo.received[0].url).toBe("/upload?q=1");
  });

  it("keeps one connection alive to the client and one to the upstream over sequential requests", async () => {
    const instance = await upstream("v1");
    const { url } = await serve({ v1: { weight: 100, backends: [instance.url] } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const clientSockets = new Set<unknown>();
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const request = http.get(url, { agent }, (response) => response.resume().on("end", resolve));
        request.on("socket", (socket) => clientSockets.add(socket));
        request.on("error", reject);
      });
    }
    agent.destroy();
    expect(clientSockets.size).toBe(1);
    expect(new Set(instance.received.map((r) => r.socket)).size).toBe(1);
  });

  it("stops the upstream request when the client leaves before the answer, and counts it apart from errors", async () => {
    let upstreamClosed = false;
    const stalls = await upstream("stalls", (req) => req.socket.once("close", () => (upstreamClosed = true)));
    const { url, id } = await serve({ v1: { weight: 100, backends: [stalls.url] } });
    const client = net.connect(Number(new URL(url).port), "127.0.0.1");
    client.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    await waitUntil(() => stalls.received.length === 1, "the instance has the request");
    client.destroy();
    await waitUntil(() => upstreamClosed, "the router drops the upstream request");
    const route = router.table.get(id)!;
    await waitUntil(() => route.pool.list()[0].inFlight === 0, "the instance has no request in flight");
    expect(route.stats.metrics(10, ["v1"])).toEqual([{ version: "v1", windowSeconds: 10, requests: 1, errors: 0, p99Ms: expect.any(Number) }]);
  });
});

describe("passive checks", () => {
  it("skips an instance that refuses connections and still answers every request", async () => {
    const [good, refused] = [await upstream("good"), await refusingUrl()];
    const { url, id } = await serve({ v1: { weight: 100, backends: [refused, good.url] } });
    const replies = [];
    for (let i = 0; i < 10; i++) replies.push(await send(url));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    const backend = describeRoute(router.table.get(id)!).backends.find((b) => b.url === refused)!;
    expect(backend.ejectedUntil).not.toBeNull();
    expect(backend.lastError).toMatch(/ECONNREFUSED/);
    expect(good.received).toHaveLength(10);
  });

  it("retries a POST whose connection was refused on another instance with its body intact", async () => {
    const echo = await upstream("echo", (req, res) => req.pipe(res));
    const refused = await refusingUrl();
    const { url } = await serve({ v1: { weight: 100, backends: [refused, echo.url] } });
    const reply = await send(url, { method: "POST", body: "order #1" });
    expect(reply).toMatchObject({ status: 200, body: "order #1" });
  });

  it("answers 502 naming the version when none of its instances can be reached, and counts it as its error", async () => {
    const stable = await upstream("stable");
    const { url, id } = await serve({ stable: { weight: 50, backends: [stable.url] }, canary: { weight: 50, backends: [await refusingUrl()] } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await send(url));
    const failed = statuses.filter((r) => r.status === 502);
    expect(failed).toHaveLength(2);
    expect(failed[0].body).toMatch(/version "canary"/);
    const metrics = router.table.get(id)!.stats.metrics(10, ["stable", "canary"]);
    expect(metrics.find((m) => m.version === "canary")).toMatchObject({ requests: 2, errors: 2 });
    expect(metrics.find((m) => m.version === "stable")).toMatchObject({ requests: 2, errors: 0 });
  });
});

describe("reset keep-alive connections", () => {
  it("retries a GET on the same instance but answers 502 to a POST, which the instance may have acted on", async () => {
    const instance = await closesAfterFirstAnswer();
    const { url } = await serve({ v1: { weight: 100, backends: [instance.url] } });
    expect(await send(url)).toMatchObject({ status: 200, body: "ok" });
    // Each goes out on the connection the request before it left open, which the instance then drops.
    expect((await send(url, { method: "POST" })).status).toBe(502);
    expect(await send(url)).toMatchObject({ status: 200, body: "ok" });
    expect(await send(url)).toMatchObject({ status: 200, body: "ok" });
    // The POST was sent once; the last GET twice, the second time on a new connection.
    expect(instance.received).toEqual(["GET", "POST", "GET", "GET", "GET"]);
    await instance.close();
  });
});

/** Answers the first request of each connection, then drops the connection when the next one comes. */
async function closesAfterFirstAnswer() {
  const received: string[] = [];
  const server = net.createServer((socket) => {
    let answered = false;
    socket.on("data", (data) => {
      received.push(data.toString("latin1").split(" ")[0]);
      if (answered) return void socket.destroy();
      answered = true;
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe("stats", () => {
  it("counts requests, 5xx and latency per version", async () => {
    const ok = await upstream("ok");
    const failing = await upstream("failing", (_req, res) => res.writeHead(500).end("boom"));
    const { url, id } = await serve({ v1: { weight: 75, backends: [ok.url] }, v2: { weight: 25, backends: [failing.url] } });
    for (let i = 0; i < 40; i++) await send(url);
    const metrics = router.table.get(id)!.stats.metrics(30, ["v1", "v2"]);
    expect(metrics).toEqual([
      { version: "v1", windowSeconds: 30, requests: 30, errors: 0, p99Ms: expect.any(Number) },
      { version: "v2", windowSeconds: 30, requests: 10, errors: 10, p99Ms: expect.any(Number) },
    ]);
    expect(metrics[0].p99Ms).toBeGreaterThan(0);
    expect(describeRoute(router.table.get(id)!).stats.v2["10s"]).toMatchObject({ requests: 10, errors: 10 });
  });
});
