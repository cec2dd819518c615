import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashFiles } from "./hash-files";

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "slipway-hashfiles-"));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function workspaceWith(files: Record<string, string>): Promise<string> {
  const ws = await mkdtemp(path.join(tmp, "ws-"));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(ws, rel)), { recursive: true });
    await writeFile(path.join(ws, rel), content);
  }
  return ws;
}

describe("hashFiles", () => {
  it("is stable for the same contents, wherever the workspace is", async () => {
    const files = { "package-lock.json": '{"lockfileVersion":3}', "packages/a/package-lock.json": "{}" };
    const one = await hashFiles(await workspaceWith(files), "**/package-lock.json");
    const two = await hashFiles(await workspaceWith(files), ["**/package-lock.json"]);
    expect(one).toMatch(/^[0-9a-f]{64}$/);
    expect(two).toBe(one);
  });

  it("changes when a matching file changes, and not when another file does", async () => {
    const ws = await workspaceWith({ "package-lock.json": "v1", "README.md": "hello" });
    const before = await hashFiles(ws, "package-lock.json");
    await writeFile(path.join(ws, "README.md"), "changed");
    expect(await hashFiles(ws, "package-lock.json")).toBe(before);
    await writeFile(path.join(ws, "package-lock.json"), "v2");
    expect(await hashFiles(ws, "package-lock.json")).not.toBe(before);
  });

  it("combines several patterns, honours negation, and matches dot folders", async () => {
    const ws = await workspaceWith({ "a.lock": "a", "vendor/b.lock": "b", ".config/c.lock": "c" });
    const all = await hashFiles(ws, "**/*.lock");
    const noVendor = await hashFiles(ws, ["**/*.lock", "!vendor/**"]);
    expect(noVendor).not.toBe(all);
    expect(noVendor).toBe(await hashFiles(await workspaceWith({ "a.lock": "a", ".config/c.lock": "c" }), "**/*.lock"));
  });

  it("returns an empty string when nothing matches", async () => {
    expect(await hashFiles(await workspaceWith({ "a.txt": "a" }), "**/*.lock")).toBe("");
  });

  it("ignores .git and does not follow symbolic links", async () => {
    const ws = await workspaceWith({ "src/a.ts": "a", ".git/objects/x.ts": "git" });
    const outside = await workspaceWith({ "secret.ts": "outside" });
    await symlink(outside, path.join(ws, "src/linked"));
    expect(await hashFiles(ws, "**/*.ts")).toBe(await hashFiles(await workspaceWith({ "src/a.ts": "a" }), "**/*.ts"));
  });

  it("refuses patterns that leave the workspace", async () => {
    const ws = await workspaceWith({});
    await expect(hashFiles(ws, "../**/*.lock")).rejects.toThrow('hashFiles pattern "../**/*.lock" leaves the workspace; use a path inside it.');
    await expect(hashFiles(ws, "/etc/*")).rejects.toThrow('hashFiles pattern "/etc/*" is absolute; use a path relative to the workspace.');
  });
});
