import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/server/config/ports";
import type { RouteEntry } from "@/server/services/routing";
import { createAdminServer, describeRoute, listenAdmin } from "./admin";
import { holdSplit, pushRoute, readRouterCommittedTraffic, readRouterTraffic } from "./client";
import { HOLD_MS } from "./route-table";
import { startRouter, type Router } from "./router";
import { entry, send, startUpstream, waitUntil, type Upstream } from "./testing";

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

function withWeights(route: RouteEntry, weights: Record<string, number>): RouteEntry {
  return { ...route, versions: Object.entries(weights).map(([version, weight]) => ({ version, weight })) };
}

describe("changing the split", () => {
  it("takes effect on the next request", async () => {
    const [blue, green] = [await upstream("blue"), await upstream("green")];
    const port = await freePort();
    const route = entry(port, { blue: { weight: 100, backends: [blue.url] }, green: { weight: 0, backends: [green.url] } });
    await router.apply({ environments: [route] });
    expect((await send(`http://127.0.0.1:${port}`)).body).toBe("blue");
    await router.apply({ environments: [withWeights(route, { blue: 0, green: 100 })] });
    expect((await send(`http://127.0.0.1:${port}`)).body).toBe("green");
  });

  it("loses no request when the weights change under a concurrent loop of requests", async () => {
    const slowly = (_req: unknown, res: http.ServerResponse, name: string) => {
      setTimeout(() => res.writeHead(200).end(name), Math.random() * 5);
    };
    const [v1, v2, v3] = [await upstream("v1", slowly), await upstream("v2", slowly), await upstream("v3", slowly)];
    const port = await freePort();
    const base = entry(port, { v1: { weight: 100, backends: [v1.url] }, v2: { weight: 0, backends: [v2.url] }, v3: { weight: 0, backends: [v3.url] } });
    await router.apply({ environments: [base] });
    const splits: Record<string, number>[] = [{ v1: 100 }, { v1: 90, v2: 10 }, { v1: 50, v2: 50 }, { v2: 100 }, { v2: 70, v3: 30 }, { v3: 100 }];
    let stop = false;
    const flipping = (async () => {
      for (let i = 0; !stop; i++) {
        await router.apply({ environments: [withWeights(base, splits[i % splits.length])] });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const statuses: number[] = [];
    const served = new Set<string>();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = 0; i < 40; i++) {
          const reply = await send(`http://127.0.0.1:${port}`);
          statuses.push(reply.status);
          served.add(reply.body);
        }
      }),
    );
    stop = true;
    await flipping;
    expect(statuses).toHaveLength(640);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(served).toEqual(new Set(["v1", "v2", "v3"]));
  });
});

describe("draining", () => {
  it("finishes a slow request on a draining instance while new requests go to the other, then reports it drained", async () => {
    const slow = await upstream("slow", (_req, res, name) => setTimeout(() => res.writeHead(200).end(name), 300));
    const fast = await upstream("fast");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const route = entry(port, { v1: { weight: 100, backends: [slow.url, fast.url] } });
    await router.apply({ environments: [route] });
    const inFlight = send(url);
    await waitUntil(() => slow.received.length === 1, "the slow instance has the request");

    const drainingSlow = entry(port, { v1: { weight: 100, backends: [fast.url], draining: [slow.url] } });
    await router.apply({ environments: [{ ...drainingSlow, environmentId: route.environmentId }] });
    const state = () => describeRoute(router.table.get(route.environmentId)!).backends.find((b) => b.url === slow.url)!;
    expect(state()).toMatchObject({ state: "draining", inFlight: 1, drained: false });
    for (let i = 0; i < 5; i++) expect((await send(url)).body).toBe("fast");

    expect(await inFlight).toMatchObject({ status: 200, body: "slow" });
    await waitUntil(() => state().drained, "the slow instance reports drained");
    expect(slow.received).toHaveLength(1);
  });

  it("lets a request in flight finish when its instance is removed from the table", async () => {
    const slow = await upstream("slow", (_req, res, name) => setTimeout(() => res.writeHead(200).end(name), 200));
    const port = await freePort();
    const route = entry(port, { v1: { weight: 100, backends: [slow.url] } });
    await router.apply({ environments: [route] });
    const inFlight = send(`http://127.0.0.1:${port}`);
    await waitUntil(() => slow.received.length === 1, "the instance has the request");
    await router.apply({ environments: [{ ...route, backends: [] }] });
    expect(await inFlight).toMatchObject({ status: 200, body: "slow" });
    expect((await send(`http://127.0.0.1:${port}`)).status).toBe(502);
  });
});

describe("ports", () => {
  it("moves an environment to its new port and closes the old one", async () => {
    const v1 = await upstream("v1");
    const [first, second] = [await freePort(), await freePort()];
    const route = entry(first, { v1: { weight: 100, backends: [v1.url] } });
    await router.apply({ environments: [route] });
    expect((await send(`http://127.0.0.1:${first}`)).body).toBe("v1");
    await router.apply({ environments: [{ ...route, port: second }] });
    expect((await send(`http://127.0.0.1:${second}`)).body).toBe("v1");
    await expect(send(`http://127.0.0.1:${first}`, { agent: new http.Agent() })).rejects.toThrow(/ECONNREFUSED/);
  });

  it("reports a port it cannot open and keeps serving the other environments", async () => {
    const v1 = await upstream("v1");
    const taken = await upstream("squatter");
    const takenPort = Number(new URL(taken.url).port);
    const good = entry(await freePort(), { v1: { weight: 100, backends: [v1.url] } });
    const blocked = { ...entry(takenPort, { v1: { weight: 100, backends: [v1.url] } }), environmentId: randomUUID() };
    await router.apply({ environments: [good, blocked] });
    expect(describeRoute(router.table.get(blocked.environmentId)!)).toMatchObject({ listening: false, listenError: expect.stringMatching(/EADDRINUSE/) });
    expect((await send(`http://127.0.0.1:${good.port}`)).body).toBe("v1");
  });
});

describe("routes pushed by a worker", () => {
  const at = (route: RouteEntry, revision: number, weights: Record<string, number>): RouteEntry => ({ ...withWeights(route, weights), revision });

  it("serve a newer revision at once, ignore an older one, and leave an environment it does not serve to the database", async () => {
    const [v1, v2] = [await upstream("v1"), await upstream("v2")];
    const route = at(entry(await freePort(), { v1: { weight: 100, backends: [v1.url] }, v2: { weight: 0, backends: [v2.url] } }), 10, { v1: 100, v2: 0 });
    await router.apply({ environments: [route] });
    expect(router.push(at(route, 12, { v1: 50, v2: 50 }))).toBe("applied");
    expect(router.table.get(route.environmentId)!.weights).toEqual({ v1: 50, v2: 50 });
    // Two pushes that overtook each other: the older one changes nothing.
    expect(router.push(at(route, 11, { v1: 100, v2: 0 }))).toBe("stale");
    expect(router.table.get(route.environmentId)!.weights).toEqual({ v1: 50, v2: 50 });
    expect(router.push({ ...route, environmentId: randomUUID(), revision: 99 })).toBe("unknown");
    expect(router.push({ ...at(route, 13, { v2: 100 }), port: route.port + 1 })).toBe("unknown");
  });

  it("are not undone by a database read that began before the push, and give way to one that began after", async () => {
    const v1 = await upstream("v1");
    const route = at(entry(await freePort(), { v1: { weight: 100, backends: [v1.url] }, v2: { weight: 0, backends: [] } }), 10, { v1: 100, v2: 0 });
    await router.apply({ environments: [route] });
    const readBegan = performance.now();
    router.push(at(route, 12, { v1: 0, v2: 100 }));
    const table = router.table;
    await table.apply({ environments: [at(route, 11, { v1: 100, v2: 0 })] }, readBegan);
    expect(table.get(route.environmentId)!.weights).toEqual({ v2: 100 });
    // The database has the last word: a read that began later wins, whatever its revision.
    await table.apply({ environments: [at(route, 11, { v1: 100, v2: 0 })] }, performance.now());
    expect(table.get(route.environmentId)!.weights).toEqual({ v1: 100 });
  });

  it("hold a split ahead of its write until the database shows it, or for HOLD_MS of reads that do not", async () => {
    const [v1, v2] = [await upstream("v1"), await upstream("v2")];
    const port = await freePort();
    const route = at(entry(port, { v1: { weight: 50, backends: [v1.url] }, v2: { weight: 50, backends: [v2.url] } }), 10, { v1: 50, v2: 50 });
    await router.apply({ environments: [route] });
    const table = router.table;
    const served = table.get(route.environmentId)!;

    expect(router.hold(route.environmentId, { v1: 100 })).toBe("applied");
    for (let i = 0; i < 4; i++) expect((await send(`http://127.0.0.1:${port}`)).body).toBe("v1");
    expect(served.committedWeights).toEqual({ v1: 50, v2: 50 });
    // Another write lands first (an instance added): its backends count, the held split stays.
    const added = { ...route, revision: 11, backends: [...route.backends, { url: "http://127.0.0.1:1", version: "v1", state: "active" as const }] };
    await table.apply({ environments: [added] }, performance.now());
    expect(served.weights).toEqual({ v1: 100 });
    expect(served.pool.get("http://127.0.0.1:1")).toBeDefined();
    // The write lands: the split is committed and no longer held.
    await table.apply({ environments: [at(added, 12, { v1: 100, v2: 0 })] }, performance.now());
    expect(served.holding).toBeNull();
    expect(served.committedWeights).toEqual({ v1: 100 });

    // A write that never lands: reads that began HOLD_MS after the push take the split back.
    router.hold(route.environmentId, { v2: 100 });
    const pushedAt = served.holding!.sinceMs;
    await table.apply({ environments: [at(added, 12, { v1: 100, v2: 0 })] }, pushedAt + HOLD_MS - 1);
    expect(served.weights).toEqual({ v2: 100 });
    await table.apply({ environments: [at(added, 12, { v1: 100, v2: 0 })] }, pushedAt + HOLD_MS);
    expect(served.weights).toEqual({ v1: 100 });
    expect(router.hold(randomUUID(), { v1: 100 })).toBe("unknown");
  });

  it("reach the router through its admin port, which reports the split in force and the committed one apart", async () => {
    const [v1, v2] = [await upstream("v1"), await upstream("v2")];
    const route = at(entry(await freePort(), { v1: { weight: 100, backends: [v1.url] }, v2: { weight: 0, backends: [v2.url] } }), 10, { v1: 100, v2: 0 });
    await router.apply({ environments: [route] });
    const admin = createAdminServer(router, new Date().toISOString());
    const adminUrl = `http://127.0.0.1:${await listenAdmin(admin, 0)}`;
    try {
      expect(await holdSplit(adminUrl, route.environmentId, { v1: 80, v2: 20 })).toBe("applied");
      expect(await readRouterTraffic(adminUrl, route.environmentId)).toEqual({ v1: 80, v2: 20 });
      expect(await readRouterCommittedTraffic(adminUrl, route.environmentId)).toEqual({ v1: 100 });
      expect(await pushRoute(adminUrl, at(route, 11, { v1: 80, v2: 20 }))).toBe("applied");
      expect(await readRouterCommittedTraffic(adminUrl, route.environmentId)).toEqual({ v1: 80, v2: 20 });
      expect(await holdSplit(adminUrl, route.environmentId, { v1: 70, v2: 20 })).toBeNull();
      const badPush = await fetch(`${adminUrl}/routes/${route.environmentId}`, { method: "PUT", body: JSON.stringify({ ...route, revision: undefined }) });
      expect(badPush.status).toBe(400);
      expect(await pushRoute("http://127.0.0.1:1", at(route, 12, { v1: 100 }))).toBeNull();
    } finally {
      await new Promise((resolve) => admin.close(resolve));
    }
  });
});
