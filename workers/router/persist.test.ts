import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PersistedRouteTable, routeTableFile } from "./persist";
import { entry } from "./testing";

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-persist-"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dataDir, { recursive: true, force: true });
});

const table = { environments: [entry(41000, { v1: { weight: 90, backends: ["http://127.0.0.1:5001"] }, v2: { weight: 10, backends: ["http://127.0.0.1:5002"] } })] };

describe("the saved route table", () => {
  it("comes back as it was saved, and leaves no temporary file behind", async () => {
    await new PersistedRouteTable(routeTableFile(dataDir)).save(table);
    expect(await new PersistedRouteTable(routeTableFile(dataDir)).load()).toEqual(table);
    expect(await readdir(path.dirname(routeTableFile(dataDir)))).toEqual(["routes.json"]);
  });

  it("is not written again when the table did not change", async () => {
    const persisted = new PersistedRouteTable(routeTableFile(dataDir));
    await persisted.save(table);
    const before = (await stat(persisted.file)).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await persisted.save(structuredClone(table));
    expect((await stat(persisted.file)).mtimeMs).toBe(before);
  });

  it("is null when there is none, and ignored with a message when it is damaged", async () => {
    const persisted = new PersistedRouteTable(routeTableFile(dataDir));
    expect(await persisted.load()).toBeNull();
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await persisted.save(table);
    await writeFile(persisted.file, '{"savedAt":"x","table":{"environments":[{"port":');
    expect(await persisted.load()).toBeNull();
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/does not hold a route table/));
  });
});
