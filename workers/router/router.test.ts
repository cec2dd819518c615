import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environments, projects } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { freePort } from "@/server/config/ports";
import { addBackend, drainBackend, readRouteTable, removeBackend, setRoute, setTrafficWeights } from "@/server/services/routing";
import { createAdminServer, listenAdmin } from "./admin";
import { pushRoute, readRouterMetrics, readRouterTraffic, waitForBackendDrained } from "./client";
import { routeTableFile } from "./persist";
import { startRouter, type Router } from "./router";
import { send, startUpstream, waitUntil, type Upstream } from "./testing";

/**
 * The router against a real PostgreSQL, reached through a TCP relay the tests can cut, as
 * when the database host goes away: the router must keep serving what it had.
 */
let t: TestDatabase;
let relay: { url: string; cut: () => Promise<void> };
let dataDir: string;
let router: Router;
let admin: http.Server;
let adminUrl: string;
const upstreams: Upstream[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  relay = await startRelay(t.url);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-router-"));
  // A long re-read interval, so a change that arrives fast arrived by NOTIFY.
  router = await startRouter({ dataDir, databaseUrl: relay.url, listenHost: "127.0.0.1", rereadMs: 60_000 });
  admin = createAdminServer(router, new Date().toISOString());
  adminUrl = `http://127.0.0.1:${await listenAdmin(admin, 0)}`;
});

afterAll(async () => {
  await new Promise((resolve) => admin.close(resolve));
  await router.close();
  await Promise.all(upstreams.map((u) => u.close()));
  await relay.cut();
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]) {
  const started = await startUpstream(name, handler);
  upstreams.push(started);
  return started;
}

async function newEnvironment(): Promise<string> {
  const slug = `router-${randomBytes(4).toString("hex")}`;
  const [project] = await t.db.insert(projects).values({ slug, name: slug, repositoryUrl: "https://git.example.test/a.git" }).returning();
  const [env] = await t.db.insert(environments).values({ projectId: project.id, name: "production", position: 0 }).returning();
  return env.id;
}

describe("following the database", () => {
  it("applies a new weight through NOTIFY, long before the 5 s re-read would", async () => {
    const [stable, canary] = [await upstream("stable"), await upstream("canary")];
    const id = await newEnvironment();
    const port = await freePort();
    await setRoute(t.db, id, { port, versions: [{ version: "stable", weight: 100, backends: [stable.url] }, { version: "canary", weight: 0, backends: [canary.url] }] });
    await waitUntil(() => router.table.get(id)?.listening === true, "the router listens for the new environment", 2_000);
    expect((await send(`http://127.0.0.1:${port}`)).body).toBe("stable");

    await setTrafficWeights(t.db, id, { stable: 90, canary: 10 });
    const elapsed = await waitUntil(() => router.table.get(id)?.weights.canary === 10, "the canary weight is in force", 3_000);
    expect(elapsed).toBeLessThan(2_000);
    const bodies = [];
    for (let i = 0; i < 20; i++) bodies.push((await send(`http://127.0.0.1:${port}`)).body);
    expect(bodies.filter((b) => b === "canary")).toHaveLength(2);
    expect(await readRouterTraffic(adminUrl, id)).toEqual({ stable: 90, canary: 10 });
  });

  it("gets each write's route as committed, with a revision that grows, from the worker's push", async () => {
    const [v1, v2] = [await upstream("v1"), await upstream("v2")];
    const id = await newEnvironment();
    const port = await freePort();
    const written = [await setRoute(t.db, id, { port, versions: [{ version: "v1", weight: 100, backends: [v1.url] }] })];
    await waitUntil(() => router.table.get(id)?.listening === true, "the router listens", 2_000);
    written.push(await addBackend(t.db, id, { version: "v2", url: v2.url }));
    written.push(await setTrafficWeights(t.db, id, { v1: 50, v2: 50 }));
    written.push(await drainBackend(t.db, id, v1.url));
    written.push((await removeBackend(t.db, id, v1.url))!);
    written.push(await setTrafficWeights(t.db, id, { v2: 100 }));
    const revisions = written.map((route) => route.revision!);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(revisions.length);
    const last = written.at(-1)!;
    expect(last).toEqual((await readRouteTable(t.db, { revisions: true })).environments.find((e) => e.environmentId === id));
    // The notification may have brought it first; either way it is in force once the push returns.
    expect(["applied", "stale"]).toContain(await pushRoute(adminUrl, last));
    expect(router.table.get(id)?.current).toEqual(last);
    expect((await send(`http://127.0.0.1:${port}`)).body).toBe("v2");
    expect(await removeBackend(t.db, crypto.randomUUID(), v1.url)).toBeNull();
  });

  it("drains an instance set draining in the database and reports it drained to the worker", async () => {
    const slow = await upstream("slow", (_req, res, name) => setTimeout(() => res.writeHead(200).end(name), 300));
    const fast = await upstream("fast");
    const id = await newEnvironment();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    await setRoute(t.db, id, { port, versions: [{ version: "v1", weight: 100, backends: [slow.url, fast.url] }] });
    await waitUntil(() => router.table.get(id)?.listening === true, "the router listens", 2_000);
    // Round-robin sends one of two requests to each instance, whichever the table lists first.
    const inFlight = Promise.all([send(url), send(url)]);
    await waitUntil(() => slow.received.length === 1, "the slow instance has a request");

    await drainBackend(t.db, id, slow.url);
    await waitUntil(() => router.table.get(id)?.pool.get(slow.url)?.state === "draining", "the router knows it drains", 1_000);
    for (let i = 0; i < 4; i++) expect((await send(url)).body).toBe("fast");
    await waitForBackendDrained(adminUrl, id, slow.url, { timeoutMs: 2_000, intervalMs: 10 });
    expect((await inFlight).map((r) => `${r.status} ${r.body}`).sort()).toEqual(["200 fast", "200 slow"]);
    expect(slow.received).toHaveLength(1);

    await removeBackend(t.db, id, slow.url);
    await waitUntil(() => router.table.get(id)?.pool.get(slow.url) === undefined, "the backend is gone", 1_000);
  });

  it("serves per-version metrics on the admin port for the canary analysis", async () => {
    const ok = await upstream("ok");
    const failing = await upstream("failing", (_req, res) => res.writeHead(503).end());
    const id = await newEnvironment();
    const port = await freePort();
    await setRoute(t.db, id, { port, versions: [{ version: "v1", weight: 80, backends: [ok.url] }, { version: "v2", weight: 20, backends: [failing.url] }] });
    await waitUntil(() => router.table.get(id)?.listening === true, "the router listens", 2_000);
    for (let i = 0; i < 50; i++) await send(`http://127.0.0.1:${port}`);
    const metrics = await readRouterMetrics(adminUrl, id, 30);
    expect(metrics).toEqual([
      { version: "v1", windowSeconds: 30, requests: 40, errors: 0, p99Ms: expect.any(Number) },
      { version: "v2", windowSeconds: 30, requests: 10, errors: 10, p99Ms: expect.any(Number) },
    ]);
    expect((await fetch(`${adminUrl}/metrics/${id}?window=0`)).status).toBe(400);
    expect(await readRouterMetrics(adminUrl, crypto.randomUUID(), 30)).toEqual([]);
  });
});

describe("when the database is gone", () => {
  it("keeps serving the last good split, and serves it again after a restart from the saved file", async () => {
    const v1 = await upstream("v1");
    const id = await newEnvironment();
    const port = await freePort();
    await setRoute(t.db, id, { port, versions: [{ version: "v1", weight: 100, backends: [v1.url] }] });
    await waitUntil(() => router.table.get(id)?.listening === true, "the router listens", 2_000);
    await waitUntil(async () => (await readFile(routeTableFile(dataDir), "utf8").catch(() => "")).includes(id), "the table is saved", 2_000);

    await relay.cut();
    await router.reload();
    expect(router.status.databaseError).not.toBeNull();
    for (let i = 0; i < 5; i++) expect(await send(`http://127.0.0.1:${port}`)).toMatchObject({ status: 200, body: "v1" });

    await router.close();
    router = await startRouter({ dataDir, databaseUrl: relay.url, listenHost: "127.0.0.1", rereadMs: 60_000 });
    expect(router.status.source).toBe("file");
    expect(await send(`http://127.0.0.1:${port}`)).toMatchObject({ status: 200, body: "v1" });
    await router.reload();
    expect(router.status).toMatchObject({ source: "file", databaseError: expect.any(String) });
    expect((await send(`http://127.0.0.1:${port}`)).body).toBe("v1");
  });
});

/** Forwards TCP to PostgreSQL until cut; after that its port refuses connections. */
async function startRelay(databaseUrl: string): Promise<{ url: string; cut: () => Promise<void> }> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstreamSocket = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstreamSocket]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstreamSocket).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as net.AddressInfo).port);
  let cut = false;
  return {
    url: url.toString(),
    cut: async () => {
      if (cut) return;
      cut = true;
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
