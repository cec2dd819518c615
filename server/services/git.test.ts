import { randomUUID } from "node:crypto";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAllTestRepos, createTempDir, createTestRepo, type TestRepo } from "@/server/testing/git-fixtures";
import {
  assertSafeRef,
  assertSafeRepositoryUrl,
  changedFiles,
  checkoutCommit,
  commitAuthorsBetween,
  commitInfo,
  commitsBetween,
  ensureMirror,
  GitError,
  listRemoteHeads,
  mergeBase,
  readFileAtCommit,
  resolveRef,
} from "./git";

let repo: TestRepo;
let dataDir: string;
let first: string;
let second: string;
let third: string;

beforeAll(async () => {
  repo = await createTestRepo();
  dataDir = await createTempDir();
  first = await repo.commit({ "README.md": "# App\n", ".slipway.yml": "on: push\n", "src/app.ts": "export {};\n" }, "First commit");
  second = await repo.commit({ "docs/guide.md": "Guide\n" }, "Write the guide", { name: "Bo Writer", email: "Bo@Example.test" });
  third = await repo.commit(
    { "src/app.ts": "export const x = 1;\n", "README.md": null },
    "Change the app\n\nCo-authored-by: Cy Pair <cy@example.test>",
  );
});

afterAll(cleanupAllTestRepos);

describe("checkoutCommit", () => {
  it("checks out the exact commit asked for, not the branch head", async () => {
    const dest = path.join(await createTempDir(), "workspace");
    const result = await checkoutCommit({ repositoryUrl: repo.dir, sha: second, dest });
    expect(result.sha).toBe(second);
    expect(await readFile(path.join(dest, "src/app.ts"), "utf8")).toBe("export {};\n");
    expect(await readFile(path.join(dest, "README.md"), "utf8")).toBe("# App\n");
    expect(await repo.head("main")).toBe(third);
  });

  it("fetches only the requested depth of history", async () => {
    const dest = path.join(await createTempDir(), "shallow");
    await checkoutCommit({ repositoryUrl: repo.dir, sha: third, dest });
    const { git } = await import("./git-cli");
    expect((await git(dest, ["rev-list", "--count", "HEAD"])).trim()).toBe("1");
    const full = path.join(await createTempDir(), "full");
    await checkoutCommit({ repositoryUrl: repo.dir, sha: third, dest: full, depth: 0 });
    expect((await git(full, ["rev-list", "--count", "HEAD"])).trim()).toBe("3");
  });

  it("leaves no credentials in the checked-out repository's config", async () => {
    const dest = path.join(await createTempDir(), "with-token");
    await checkoutCommit({ repositoryUrl: repo.dir, sha: third, dest, credentials: { kind: "https-token", token: "s3cr3t-token" } });
    const config = await readFile(path.join(dest, ".git", "config"), "utf8");
    expect(config).not.toContain("s3cr3t");
    expect(config).not.toContain("extraHeader");
  });

  it("refuses a folder that is not empty, and a commit id that is not one", async () => {
    const dest = await createTempDir();
    await writeFile(path.join(dest, "file"), "x");
    await expect(checkoutCommit({ repositoryUrl: repo.dir, sha: third, dest })).rejects.toThrow(/not empty/);
    await expect(checkoutCommit({ repositoryUrl: repo.dir, sha: "main", dest: path.join(dest, "x") })).rejects.toThrow(/not a full commit id/);
  });

  it("says which commit is missing when the repository does not have it", async () => {
    const dest = path.join(await createTempDir(), "missing");
    await expect(checkoutCommit({ repositoryUrl: repo.dir, sha: "1".repeat(40), dest })).rejects.toThrow(GitError);
  });
});

describe("the mirror", () => {
  let mirror: string;
  const projectId = randomUUID();

  beforeAll(async () => {
    mirror = await ensureMirror({ dataDir, projectId, repositoryUrl: repo.dir });
  });

  it("lives under <dataDir>/mirrors/<projectId>.git and holds every branch", async () => {
    expect(mirror).toBe(path.join(dataDir, "mirrors", `${projectId}.git`));
    expect((await stat(path.join(mirror, "HEAD"))).isFile()).toBe(true);
    expect(await resolveRef(mirror, "refs/heads/main")).toBe(third);
    expect(await resolveRef(mirror, "main")).toBe(third);
    expect(await resolveRef(mirror, "no-such-branch")).toBeNull();
  });

  it("picks up new commits, branches and tags on the next fetch, peeling annotated tags", async () => {
    await repo.branch("feature");
    const feature = await repo.commit({ "feature.txt": "new\n" }, "Feature work");
    await repo.tag("v1.0.0", { message: "Release 1.0.0" });
    await repo.checkout("main");
    await ensureMirror({ dataDir, projectId, repositoryUrl: repo.dir });
    expect(await resolveRef(mirror, "refs/heads/feature")).toBe(feature);
    expect(await resolveRef(mirror, "refs/tags/v1.0.0")).toBe(feature);
    expect(await mergeBase(mirror, "main", feature)).toBe(third);
  });

  it("fetches a commit no branch points at when it is asked for", async () => {
    await repo.branch("doomed");
    const orphan = await repo.commit({ "doomed.txt": "x" }, "Soon unreachable by name");
    await repo.checkout("main");
    await repo.deleteBranch("doomed");
    await ensureMirror({ dataDir, projectId, repositoryUrl: repo.dir, commits: [orphan] });
    expect(await resolveRef(mirror, orphan)).toBe(orphan);
  });

  it("reads a file at a commit, and null when the commit has no such file", async () => {
    expect(await readFileAtCommit(mirror, first, ".slipway.yml")).toBe("on: push\n");
    expect(await readFileAtCommit(mirror, third, "README.md")).toBeNull();
    expect(await readFileAtCommit(mirror, third, "src")).toBeNull();
    await expect(readFileAtCommit(mirror, "2".repeat(40), ".slipway.yml")).rejects.toThrow(/Commit 2222222 is not in the repository/);
  });

  it("lists changed files between commits, and every file for a new branch", async () => {
    expect(await changedFiles(mirror, second, third)).toEqual(["README.md", "src/app.ts"]);
    expect(await changedFiles(mirror, first, second)).toEqual(["docs/guide.md"]);
    expect((await changedFiles(mirror, "0".repeat(40), second)).sort()).toEqual([".slipway.yml", "README.md", "docs/guide.md", "src/app.ts"]);
    expect((await changedFiles(mirror, undefined, first)).sort()).toEqual([".slipway.yml", "README.md", "src/app.ts"]);
  });

  it("describes a commit", async () => {
    const info = await commitInfo(mirror, second);
    expect(info).toMatchObject({ sha: second, message: "Write the guide", author: { name: "Bo Writer", email: "Bo@Example.test" } });
    expect(new Date(info.committedAt).getTime()).not.toBeNaN();
  });

  it("collects the authors and co-authors of a range of commits", async () => {
    expect(await commitAuthorsBetween(mirror, first, third)).toEqual(["ada@example.test", "bo@example.test", "cy@example.test"]);
    expect(await commitAuthorsBetween(mirror, second, third)).toEqual(["ada@example.test", "cy@example.test"]);
    expect(await commitAuthorsBetween(mirror, null, first)).toEqual(["ada@example.test"]);
  });

  it("lists a range of commits newest first, with their subjects and authors", async () => {
    expect(await commitsBetween(mirror, first, third)).toEqual([
      { sha: third, subject: "Change the app", author: expect.any(String), email: expect.stringContaining("@") },
      { sha: second, subject: "Write the guide", author: "Bo Writer", email: "bo@example.test" },
    ]);
    expect((await commitsBetween(mirror, null, third, 1)).map((c) => c.sha)).toEqual([third]);
  });

  it("follows a change of the project's repository URL", async () => {
    const other = await createTestRepo();
    const otherHead = await other.commit({ "other.txt": "x" }, "Other repository");
    await ensureMirror({ dataDir, projectId, repositoryUrl: other.dir });
    expect(await resolveRef(mirror, "refs/heads/main")).toBe(otherHead);
    await ensureMirror({ dataDir, projectId, repositoryUrl: repo.dir });
    expect(await resolveRef(mirror, "refs/heads/main")).toBe(third);
  });

  it("serialises fetches of one mirror", async () => {
    const results = await Promise.all([1, 2, 3].map(() => ensureMirror({ dataDir, projectId, repositoryUrl: repo.dir })));
    expect(new Set(results)).toEqual(new Set([mirror]));
  });
});

describe("listRemoteHeads", () => {
  it("lists every branch and its head commit without cloning", async () => {
    const heads = await listRemoteHeads(repo.dir);
    expect(heads.main).toBe(third);
    expect(heads.feature).toBe(await repo.head("feature"));
    expect(Object.keys(heads)).not.toContain("v1.0.0");
  });

  it("fails with a GitError for a repository that does not exist", async () => {
    await expect(listRemoteHeads(path.join(dataDir, "nowhere"))).rejects.toThrow(GitError);
  });

  it("sends an https token as a Basic authorization header, never in the URL", async () => {
    const { createServer } = await import("node:http");
    const seen: { url?: string; authorization?: string }[] = [];
    const server = createServer((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization });
      response.statusCode = 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      await expect(listRemoteHeads(`http://127.0.0.1:${port}/acme/app.git`, { kind: "https-token", token: "tok-123" })).rejects.toThrow(GitError);
    } finally {
      server.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0].authorization).toBe(`Basic ${Buffer.from("x-access-token:tok-123").toString("base64")}`);
    expect(seen.every((r) => !r.url?.includes("tok-123"))).toBe(true);
  });

  it("removes the temporary ssh key file after use", async () => {
    const { tmpdir } = await import("node:os");
    const before = (await readdir(tmpdir())).filter((f) => f.startsWith("slipway-ssh-"));
    await listRemoteHeads(repo.dir, { kind: "ssh-key", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----" });
    const after = (await readdir(tmpdir())).filter((f) => f.startsWith("slipway-ssh-"));
    expect(after.sort()).toEqual(before.sort());
  });
});

describe("input checks", () => {
  it("refuses repository URLs that git would read as options", () => {
    expect(() => assertSafeRepositoryUrl("--upload-pack=touch /tmp/pwned")).toThrow(/starts with "-"/);
    expect(() => assertSafeRepositoryUrl("https://example.test/a.git\nx")).toThrow(GitError);
    expect(assertSafeRepositoryUrl("git@github.com:acme/app.git")).toBe("git@github.com:acme/app.git");
  });

  it("refuses refs with ranges, control characters or a leading dash", () => {
    for (const bad of ["main..evil", "-n", "a\u0007b", "HEAD@{1}", "a b", "x^", ""]) expect(() => assertSafeRef(bad)).toThrow(GitError);
    expect(assertSafeRef("refs/heads/feature/x-1.2")).toBe("refs/heads/feature/x-1.2");
  });

  it("refuses a mirror for something that is not a project id", async () => {
    await expect(ensureMirror({ dataDir, projectId: "../escape", repositoryUrl: repo.dir })).rejects.toThrow(/not a project id/);
  });
});
