import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environments, projects } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { addBackend, deleteRoute, drainBackend, readRouteTable, removeBackend, setRoute, setTrafficWeights } from "./routing";

let t: TestDatabase;
let port = 20_000 + Math.floor(Math.random() * 20_000);

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t.close();
});

/** An environment row of its own; projects are inserted directly to keep this file about routing. */
async function newEnvironment(): Promise<string> {
  const slug = `routing-${randomBytes(4).toString("hex")}`;
  const [project] = await t.db.insert(projects).values({ slug, name: slug, repositoryUrl: "https://git.example.test/a.git" }).returning();
  const [env] = await t.db.insert(environments).values({ projectId: project.id, name: "production", position: 0 }).returning();
  return env.id;
}

async function routeOf(environmentId: string) {
  return (await readRouteTable(t.db)).environments.find((e) => e.environmentId === environmentId);
}

describe("setting a route", () => {
  it("stores the port, the weights and the backends of each version", async () => {
    const id = await newEnvironment();
    const listenPort = port++;
    await setRoute(t.db, id, {
      port: listenPort,
      versions: [
        { version: "v1", weight: 90, backends: ["http://127.0.0.1:41001/", "http://127.0.0.1:41002"] },
        { version: "v2", weight: 10, backends: ["http://127.0.0.1:41003"] },
      ],
    });
    expect(await routeOf(id)).toEqual({
      environmentId: id,
      port: listenPort,
      versions: [
        { version: "v1", weight: 90 },
        { version: "v2", weight: 10 },
      ],
      backends: [
        { url: "http://127.0.0.1:41001", version: "v1", state: "active" },
        { url: "http://127.0.0.1:41002", version: "v1", state: "active" },
        { url: "http://127.0.0.1:41003", version: "v2", state: "active" },
      ],
    });
  });

  it("drains the backends a new route leaves out instead of dropping them", async () => {
    const id = await newEnvironment();
    const listenPort = port++;
    await setRoute(t.db, id, { port: listenPort, versions: [{ version: "blue", weight: 100, backends: ["http://127.0.0.1:42001"] }] });
    await setRoute(t.db, id, { port: listenPort, versions: [{ version: "green", weight: 100, backends: ["http://127.0.0.1:42002"] }] });
    const route = await routeOf(id);
    expect(route?.versions).toEqual([{ version: "green", weight: 100 }]);
    expect(route?.backends).toEqual([
      { url: "http://127.0.0.1:42001", version: "blue", state: "draining" },
      { url: "http://127.0.0.1:42002", version: "green", state: "active" },
    ]);
  });

  it.each([
    [{ port: 80, versions: [] }, "port", /between 1024 and 65535/],
    [{ port: 30_000, versions: [{ version: "v1", weight: 60, backends: [] }] }, "versions", /add up to 100/],
    [{ port: 30_000, versions: [{ version: "v1", weight: 50, backends: [] }, { version: "v1", weight: 50, backends: [] }] }, "versions", /listed once/],
    [{ port: 30_000, versions: [{ version: "v1", weight: 100, backends: ["https://10.0.0.1:443"] }] }, "versions.0.backends.0", /http:\/\//],
    [{ port: 30_000, versions: [{ version: "v1", weight: 100, backends: ["http://10.0.0.1:80/app"] }] }, "versions.0.backends.0", /no path/],
  ])("rejects %j on %s", async (input, field, message) => {
    const error = await setRoute(t.db, await newEnvironment(), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field, message: expect.stringMatching(message) });
  });

  it("refuses a port another environment serves on", async () => {
    const listenPort = port++;
    await setRoute(t.db, await newEnvironment(), { port: listenPort, versions: [] });
    await expect(setRoute(t.db, await newEnvironment(), { port: listenPort, versions: [] })).rejects.toBeInstanceOf(ConflictError);
  });

  it("says so when the environment does not exist", async () => {
    await expect(setRoute(t.db, crypto.randomUUID(), { port: port++, versions: [] })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("changing a route", () => {
  it("sets new weights, adds, drains and removes backends", async () => {
    const id = await newEnvironment();
    await setRoute(t.db, id, { port: port++, versions: [{ version: "v1", weight: 100, backends: ["http://127.0.0.1:43001"] }] });
    await addBackend(t.db, id, { version: "v2", url: "http://127.0.0.1:43002" });
    await setTrafficWeights(t.db, id, { v1: 80, v2: 20 });
    expect((await routeOf(id))?.versions).toEqual([
      { version: "v1", weight: 80 },
      { version: "v2", weight: 20 },
    ]);
    await drainBackend(t.db, id, "http://127.0.0.1:43001");
    expect((await routeOf(id))?.backends[0]).toMatchObject({ url: "http://127.0.0.1:43001", state: "draining" });
    await removeBackend(t.db, id, "http://127.0.0.1:43001");
    await removeBackend(t.db, id, "http://127.0.0.1:43001");
    expect((await routeOf(id))?.backends.map((b) => b.url)).toEqual(["http://127.0.0.1:43002"]);
    await setTrafficWeights(t.db, id, {});
    expect((await routeOf(id))?.versions).toEqual([]);
  });

  it("rejects weights that do not add up to 100, and changes to a route that does not exist", async () => {
    const id = await newEnvironment();
    await setRoute(t.db, id, { port: port++, versions: [] });
    await expect(setTrafficWeights(t.db, id, { v1: 70, v2: 20 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(setTrafficWeights(t.db, await newEnvironment(), { v1: 100 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(drainBackend(t.db, id, "http://127.0.0.1:1")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("deletes a route and frees its port, twice without complaint", async () => {
    const id = await newEnvironment();
    const listenPort = port++;
    await setRoute(t.db, id, { port: listenPort, versions: [{ version: "v1", weight: 100, backends: ["http://127.0.0.1:44001"] }] });
    await deleteRoute(t.db, id);
    await deleteRoute(t.db, id);
    expect(await routeOf(id)).toBeUndefined();
    await setRoute(t.db, await newEnvironment(), { port: listenPort, versions: [] });
  });

  it("notifies slipway_routes with the environment once per change", async () => {
    const id = await newEnvironment();
    const listener = postgres(t.url, { max: 1, onnotice: () => undefined });
    const payloads: string[] = [];
    try {
      await listener.listen("slipway_routes", (payload) => payloads.push(payload));
      await setRoute(t.db, id, { port: port++, versions: [{ version: "v1", weight: 100, backends: ["http://127.0.0.1:45001", "http://127.0.0.1:45002"] }] });
      await setTrafficWeights(t.db, id, { v1: 100 });
      const deadline = Date.now() + 2_000;
      while (payloads.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      expect(payloads).toEqual([id, id]);
    } finally {
      await listener.end();
    }
  });
});
