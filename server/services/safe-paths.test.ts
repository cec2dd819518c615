import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRelativePath, isInside, resolveInside, UnsafePathError } from "./safe-paths";

let base: string;
let workspace: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), "slipway-paths-")));
  workspace = path.join(base, "workspace");
  await mkdir(path.join(workspace, "dist", "nested"), { recursive: true });
  await mkdir(path.join(base, "outside"));
  await writeFile(path.join(workspace, "dist", "app.js"), "x");
  await symlink(path.join(base, "outside"), path.join(workspace, "out-link"));
  await symlink("dist", path.join(workspace, "in-link"));
  await symlink(path.join(base, "missing"), path.join(workspace, "dangling"));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("paths inside the workspace", () => {
  it.each([
    ["dist", "dist"],
    ["./dist/", "dist"],
    ["dist/../dist/app.js", "dist/app.js"],
    ["", "."],
    [".", "."],
  ])("accepts %j", (given, normal) => {
    expect(checkRelativePath(given)).toBe(normal);
  });

  it("resolves existing and not yet existing paths", async () => {
    expect(await resolveInside(workspace, "dist/app.js")).toBe(path.join(workspace, "dist", "app.js"));
    expect(await resolveInside(workspace, "new/folder")).toBe(path.join(workspace, "new", "folder"));
    expect(await resolveInside(workspace, ".")).toBe(workspace);
  });

  it("follows a link that stays inside to where it points", async () => {
    expect(await resolveInside(workspace, "in-link/app.js")).toBe(path.join(workspace, "dist", "app.js"));
  });
});

describe("paths that would leave the workspace", () => {
  it.each([
    ["../etc", 'Artifact path "../etc" leaves the workspace; use a path inside it.'],
    ["dist/../../etc", 'Artifact path "dist/../../etc" leaves the workspace; use a path inside it.'],
    ["..", 'Artifact path ".." leaves the workspace; use a path inside it.'],
    ["/etc/passwd", 'Artifact path "/etc/passwd" is absolute; use a path relative to the workspace.'],
    ["C:\\Windows", 'Artifact path "C:\\Windows" is absolute; use a path relative to the workspace.'],
    ["dist\0.js", 'Artifact path "dist\\\\0.js" contains a NUL byte; remove it.'],
  ])("refuses %j", async (given, message) => {
    await expect(resolveInside(workspace, given)).rejects.toThrow(UnsafePathError);
    await expect(resolveInside(workspace, given)).rejects.toThrow(message);
  });

  it("refuses a symbolic link to outside, also further down the path", async () => {
    await expect(resolveInside(workspace, "out-link")).rejects.toThrow('Artifact path "out-link" goes through a symbolic link to outside the workspace; use a path inside it.');
    await expect(resolveInside(workspace, "out-link/file", { what: "Cache path" })).rejects.toThrow(/^Cache path "out-link\/file" goes through a symbolic link/);
  });

  it("refuses a link that points nowhere", async () => {
    await expect(resolveInside(workspace, "dangling/x")).rejects.toThrow(/symbolic link that points nowhere/);
  });

  it("tells inside from outside", () => {
    expect(isInside("/w", "/w")).toBe(true);
    expect(isInside("/w", "/w/a")).toBe(true);
    expect(isInside("/w", "/wx")).toBe(false);
    expect(isInside("/w", "/")).toBe(false);
  });
});
