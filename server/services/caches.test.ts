import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { caches, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { createProjectAs, createUser } from "@/server/testing/fixtures";
import { blobPath, hasBlob } from "./blob-store";
import { pruneCaches, restoreCache, saveCache } from "./caches";
import { UnsafePathError } from "./safe-paths";

let t: TestDatabase;
let owner: User;
let tmp: string;
let dataDir: string;
let project: Project;

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  tmp = await mkdtemp(path.join(os.tmpdir(), "slipway-caches-"));
  dataDir = path.join(tmp, "data");
});

afterAll(async () => {
  await t.close();
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(async () => {
  project = await createProjectAs(t.db, owner);
});

async function workspaceWith(files: Record<string, string>): Promise<string> {
  const ws = await mkdtemp(path.join(tmp, "ws-"));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(ws, rel)), { recursive: true });
    await writeFile(path.join(ws, rel), content);
  }
  return ws;
}

const save = (workspace: string, key: string, paths = ["node_modules"]) => saveCache(t.db, { dataDir, projectId: project.id, workspace, key, paths });
const restore = (workspace: string, key: string, restoreKeys: string[] = [], paths = ["node_modules"]) =>
  restoreCache(t.db, { dataDir, projectId: project.id, workspace, key, restoreKeys, paths });

describe("saving and restoring caches", () => {
  it("restores the saved files on an exact key: a hit", async () => {
    const source = await workspaceWith({ "node_modules/left-pad/index.js": "module.exports = 1", "node_modules/.bin/x": "#!" });
    expect(await save(source, "npm-linux-abc")).toMatchObject({ outcome: "saved", files: 2 });
    const fresh = await workspaceWith({});
    expect(await restore(fresh, "npm-linux-abc")).toEqual({ outcome: "hit", matchedKey: "npm-linux-abc", files: 2 });
    expect(await readFile(path.join(fresh, "node_modules/left-pad/index.js"), "utf8")).toBe("module.exports = 1");
  });

  it("restores the newest cache whose key starts with a restore key: a partial hit", async () => {
    await save(await workspaceWith({ "node_modules/v.txt": "old" }), "npm-linux-111");
    await save(await workspaceWith({ "node_modules/v.txt": "new" }), "npm-linux-222");
    await save(await workspaceWith({ "node_modules/v.txt": "mac" }), "npm-macos-333");
    // Make the creation order unambiguous whatever the clock resolution.
    await t.db.update(caches).set({ createdAt: new Date(Date.now() - 60_000) }).where(eq(caches.key, "npm-linux-111"));
    const fresh = await workspaceWith({});
    expect(await restore(fresh, "npm-linux-999", ["npm-windows-", "npm-linux-", "npm-"])).toMatchObject({ outcome: "partial", matchedKey: "npm-linux-222" });
    expect(await readFile(path.join(fresh, "node_modules/v.txt"), "utf8")).toBe("new");
  });

  it("misses when no key or prefix matches, and treats % and _ in prefixes literally", async () => {
    await save(await workspaceWith({ "node_modules/a": "a" }), "npm-linux-111");
    expect(await restore(await workspaceWith({}), "pip-abc", ["pip-", "npm_linux", "%"])).toEqual({ outcome: "miss" });
  });

  it("does not save a key twice, and skips when there is nothing to cache", async () => {
    const ws = await workspaceWith({ "node_modules/a": "a" });
    expect(await save(ws, "once")).toMatchObject({ outcome: "saved" });
    expect(await save(ws, "once")).toEqual({ outcome: "exists" });
    expect(await save(await workspaceWith({}), "nothing")).toEqual({ outcome: "skipped", reason: "None of the cache paths exist (node_modules); nothing was saved." });
  });

  it("restores only the paths asked for", async () => {
    await save(await workspaceWith({ "node_modules/a": "a", ".npm/b": "b" }), "two-paths", ["node_modules", ".npm"]);
    const fresh = await workspaceWith({});
    expect(await restore(fresh, "two-paths", [], [".npm"])).toMatchObject({ outcome: "hit", files: 1 });
    expect(await readFile(path.join(fresh, ".npm/b"), "utf8")).toBe("b");
    await expect(stat(path.join(fresh, "node_modules"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses paths outside the workspace", async () => {
    const ws = await workspaceWith({});
    await expect(save(ws, "k", ["../other"])).rejects.toThrow(UnsafePathError);
    await expect(save(ws, "k", ["../other"])).rejects.toThrow('Cache path "../other" leaves the workspace; use a path inside it.');
    await expect(restore(ws, "k", [], ["/root/.npm"])).rejects.toThrow('Cache path "/root/.npm" is absolute; use a path relative to the workspace.');
  });

  it("treats a cache whose stored archive was lost as a miss, and forgets it", async () => {
    const saved = await save(await workspaceWith({ "node_modules/a": "a" }), "lost");
    await rm(blobPath(dataDir, (saved as { digest: string }).digest));
    const result = await restore(await workspaceWith({}), "lost");
    expect(result).toMatchObject({ outcome: "miss", warning: expect.stringContaining('The cache "lost" was dropped') });
    expect(await t.db.select().from(caches).where(eq(caches.projectId, project.id))).toEqual([]);
  });
});

describe("pruning caches", () => {
  it("drops caches unused for 7 days and deletes their blobs", async () => {
    const saved = await save(await workspaceWith({ "node_modules/stale": "stale content" }), "stale");
    await save(await workspaceWith({ "node_modules/fresh": "fresh content" }), "fresh");
    await t.db.update(caches).set({ lastUsedAt: new Date(Date.now() - 8 * 86_400_000) }).where(eq(caches.key, "stale"));
    const result = await pruneCaches(t.db, { dataDir, projectId: project.id });
    expect(result.removed).toEqual([{ projectId: project.id, key: "stale", reason: "unused" }]);
    expect(await hasBlob(dataDir, (saved as { digest: string }).digest)).toBe(false);
    expect((await t.db.select().from(caches).where(eq(caches.projectId, project.id))).map((c) => c.key)).toEqual(["fresh"]);
  });

  it("evicts the least recently used caches beyond the budget, keeping blobs still in use", async () => {
    for (const key of ["a", "b", "c"]) await save(await workspaceWith({ [`node_modules/${key}`]: key.repeat(10) }), key);
    const same = await save(await workspaceWith({ "node_modules/a": "a".repeat(10) }), "a-copy");
    const rows = await t.db.select().from(caches).where(eq(caches.projectId, project.id));
    const size = rows[0].sizeBytes;
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    for (const [key, minutes] of [["a", 40], ["b", 10], ["c", 20], ["a-copy", 1]] as const) {
      await t.db.update(caches).set({ lastUsedAt: ago(minutes) }).where(eq(caches.key, key));
    }
    const result = await pruneCaches(t.db, { dataDir, projectId: project.id, budgetBytes: size * 2 + 10 });
    expect(result.removed.map((r) => [r.key, r.reason])).toEqual([
      ["c", "over-budget"],
      ["a", "over-budget"],
    ]);
    // "a" shared its blob with "a-copy", which stays.
    expect(await hasBlob(dataDir, (same as { digest: string }).digest)).toBe(true);
  });
});
