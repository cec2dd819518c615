import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, runs, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser, rejectionOf } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTempDir, createTestRepo } from "@/server/testing/git-fixtures";
import { markLive, seedReleases } from "@/workers/deployer/testing/seed";
import { ensureMirror } from "./git";
import { createRelease, createReleaseFromRun, currentRelease, getRelease, listReleases } from "./releases";
import { createRun } from "./runs";

let t: TestDatabase;
let owner: User;

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
});

afterAll(async () => {
  await t.close();
  await cleanupAllTestRepos();
});

const PIPELINE = "on: { manual: {} }\njobs:\n  build: { steps: [ { run: echo hi } ] }\n";

async function runOf(project: Project, sha: string, event: Record<string, unknown> = {}) {
  return createRun(t.db, actorFor(owner), { projectId: project.id, trigger: "manual", triggeredBy: owner.id, event: { sha, branch: "main", ...event }, pipeline: { yaml: PIPELINE } });
}

describe("releases", () => {
  it("numbers a run's releases, labels them 1.0.<run number>, and lists what changed since the one before from the repository", async () => {
    const repo = await createTestRepo();
    const dataDir = await createTempDir();
    const first = await repo.commit({ "app.js": "v1" }, "first", { name: "Ada", email: "ada@example.test" });
    const second = await repo.commit({ "app.js": "v2", "README.md": "hi" }, "second", { name: "Bob", email: "Bob@Example.test" });
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    await ensureMirror({ dataDir, projectId: project.id, repositoryUrl: repo.dir });

    const a = await createReleaseFromRun(t.db, actorFor(owner), { runId: (await runOf(project, first)).id, image: "registry.local/app:1", dataDir });
    const run2 = await runOf(project, second);
    const b = await createReleaseFromRun(t.db, actorFor(owner), { runId: run2.id, image: "registry.local/app:2", imageDigest: "registry.local/app@sha256:" + "b".repeat(64), dataDir });
    expect(a).toMatchObject({ number: 1, version: "1.0.1", commitSha: first });
    expect(b).toMatchObject({ number: 2, version: `1.0.${run2.number}`, runId: run2.id, imageDigest: expect.stringContaining("@sha256:") });
    expect(b.changes).toEqual({
      previousReleaseId: a.id,
      previousVersion: "1.0.1",
      fromSha: first,
      authors: ["bob@example.test"],
      files: ["README.md", "app.js"],
      commits: [{ sha: second, subject: "second", author: "Bob", email: "bob@example.test" }],
      source: "git",
    });
    expect((await listReleases(t.db, project.id)).map((r) => r.version)).toEqual([b.version, "1.0.1"]);
    const [audit] = await t.db.select().from(auditEvents).where(eq(auditEvents.objectId, b.id));
    expect(audit).toMatchObject({ action: "release.create", after: expect.objectContaining({ version: b.version, runId: run2.id }) });
  });

  it("falls back to the run's event for the changes when no mirror is there", async () => {
    const project = await createProjectAs(t.db, owner);
    const run = await runOf(project, "c".repeat(40), { commitAuthors: ["eve@example.test"], changedFiles: ["src/a.ts"], message: "Tidy up\n\nLonger words.", author: { name: "Eve", email: "Eve@example.test" } });
    const release = await createReleaseFromRun(t.db, actorFor(owner), { runId: run.id, image: "app:1", dataDir: "/nonexistent" });
    expect(release.changes).toMatchObject({
      authors: ["eve@example.test"],
      files: ["src/a.ts"],
      commits: [{ sha: "c".repeat(40), subject: "Tidy up", author: "Eve", email: "eve@example.test" }],
      source: "event",
      previousReleaseId: null,
    });
  });

  it("gives a retried run its release again, and refuses the same version for anything else", async () => {
    const project = await createProjectAs(t.db, owner);
    const run = await runOf(project, "d".repeat(40));
    const first = await createReleaseFromRun(t.db, actorFor(owner), { runId: run.id, image: "app:1" });
    expect((await createReleaseFromRun(t.db, actorFor(owner), { runId: run.id, image: "app:1" })).id).toBe(first.id);
    const error = await rejectionOf(createRelease(t.db, actorFor(owner), { projectId: project.id, version: first.version, image: "app:2", commitSha: "e".repeat(40) }));
    expect((error as Error).message).toBe(`This project already has a release ${first.version}; releases are immutable, so give this one another version.`);
    await expect(createRelease(t.db, actorFor(owner), { projectId: project.id, commitSha: "f".repeat(40) })).rejects.toThrow(/needs an image .* or an artifact/);
    await expect(createRelease(t.db, actorFor(owner), { projectId: project.id, version: "bad version", image: "x", commitSha: "f".repeat(40) })).rejects.toThrow(/version label uses letters/);
  });

  it("cannot be changed in the database, though a deleted run only unlinks it", async () => {
    const project = await createProjectAs(t.db, owner);
    const run = await runOf(project, "a".repeat(40));
    const release = await createReleaseFromRun(t.db, actorFor(owner), { runId: run.id, image: "app:1" });
    await expect(t.db.execute(sql`update releases set image = 'evil:1' where id = ${release.id}`)).rejects.toThrow();
    await t.db.delete(runs).where(eq(runs.id, run.id));
    const [after] = await t.db.execute<{ run_id: string | null; image: string }>(sql`select run_id, image from releases where id = ${release.id}`);
    expect(after).toEqual({ run_id: null, image: "app:1" });
  });

  it("shows where a release is deployed: live in one environment, replaced in another", async () => {
    const project = await createProjectAs(t.db, owner);
    const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
    const [v1, v2] = await seedReleases(t.db, actorFor(owner), project.id, []);
    await markLive(t.db, { projectId: project.id, environmentId: envs[0].id, releaseId: v1.id });
    await markLive(t.db, { projectId: project.id, environmentId: envs[0].id, releaseId: v2.id });
    await markLive(t.db, { projectId: project.id, environmentId: envs[1].id, releaseId: v1.id });
    const shown = await getRelease(t.db, project.id, v1.id);
    expect(shown.deployedTo.map((d) => [d.name, d.current, d.deployments.length])).toEqual([
      ["development", false, 1],
      ["staging", true, 1],
    ]);
    expect((await currentRelease(t.db, envs[0].id))?.id).toBe(v2.id);
  });
});
