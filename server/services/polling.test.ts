import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectPipelineSettings, runs, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTempDir, createTestRepo, type TestRepo } from "@/server/testing/git-fixtures";
import { listPollingProjects, pollProject } from "./polling";

const PIPELINE = `on:
  push:
    branches: [main, "feature/**"]
    paths-ignore: ["docs/**"]
jobs:
  build:
    steps:
      - run: echo build
`;

let t: TestDatabase;
let owner: User;
let dataDir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  dataDir = await createTempDir();
});

afterAll(async () => {
  await t.close();
  await cleanupAllTestRepos();
});

async function pollingProject(intervalSeconds = 30): Promise<{ repo: TestRepo; project: Project }> {
  const repo = await createTestRepo();
  await repo.commit({ ".slipway.yml": PIPELINE, "src/app.ts": "export {};\n" }, "Add the pipeline");
  const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
  await t.db.insert(projectPipelineSettings).values({ projectId: project.id, pollIntervalSeconds: intervalSeconds });
  return { repo, project };
}

const runsOf = (project: Project) => t.db.select().from(runs).where(eq(runs.projectId, project.id)).orderBy(runs.number);
const polledHeads = async (project: Project) =>
  (await t.db.select().from(projectPipelineSettings).where(eq(projectPipelineSettings.projectId, project.id)))[0].polledHeads;

describe("pollProject", () => {
  it("records where the branches are on the first poll and starts nothing", async () => {
    const { repo, project } = await pollingProject();
    const result = await pollProject(t.db, { dataDir }, project.id);
    expect(result).toMatchObject({ baseline: true, started: [] });
    expect(await polledHeads(project)).toEqual({ main: await repo.head() });
    expect(await runsOf(project)).toHaveLength(0);
  });

  it("starts a poll run for a branch whose head moved, and none when nothing moved", async () => {
    const { repo, project } = await pollingProject();
    const before = await repo.head();
    await pollProject(t.db, { dataDir }, project.id);
    const after = await repo.commit({ "src/app.ts": "export const x = 1;\n" }, "Change the app");
    const result = await pollProject(t.db, { dataDir }, project.id);
    expect(result.started).toHaveLength(1);
    expect(result.defaultBranchMoved).toBe(true);
    const [run] = await runsOf(project);
    expect(run).toMatchObject({ trigger: "poll", commitSha: after, branch: "main" });
    expect(run.event).toMatchObject({ before, changedFiles: ["src/app.ts"], message: "Change the app" });
    expect(await polledHeads(project)).toEqual({ main: after });
    expect(await pollProject(t.db, { dataDir }, project.id)).toMatchObject({ baseline: false, started: [], skipped: [] });
  });

  it("honours on.push filters: docs-only changes and unlisted branches start nothing, new listed branches do", async () => {
    const { repo, project } = await pollingProject();
    await pollProject(t.db, { dataDir }, project.id);
    await repo.commit({ "docs/guide.md": "Guide\n" }, "Docs only");
    await repo.branch("experiment");
    await repo.commit({ "src/x.ts": "x\n" }, "Experiment");
    await repo.branch("feature/login", "main");
    const feature = await repo.commit({ "src/login.ts": "login\n" }, "Login");
    const result = await pollProject(t.db, { dataDir }, project.id);
    expect(result.started.map((r) => [r.branch, r.commitSha])).toEqual([["feature/login", feature]]);
    expect(result.skipped).toEqual([
      { branch: "experiment", reason: 'The branch "experiment" matches none of on.push.branches.' },
      { branch: "main", reason: "All 1 changed files match on.push.paths-ignore." },
    ]);
  });

  it("forgets deleted branches", async () => {
    const { repo, project } = await pollingProject();
    await repo.branch("feature/gone");
    await repo.commit({ "src/gone.ts": "x\n" }, "Soon gone");
    await repo.checkout("main");
    await pollProject(t.db, { dataDir }, project.id);
    await repo.deleteBranch("feature/gone");
    const result = await pollProject(t.db, { dataDir }, project.id);
    expect(result.started).toHaveLength(0);
    expect(Object.keys(await polledHeads(project))).toEqual(["main"]);
  });

  it("starts one run when two polls see the same change at once", async () => {
    const { repo, project } = await pollingProject();
    await pollProject(t.db, { dataDir }, project.id);
    await repo.commit({ "src/race.ts": "race\n" }, "Race");
    const results = await Promise.all([pollProject(t.db, { dataDir }, project.id), pollProject(t.db, { dataDir }, project.id)]);
    expect(results.flatMap((r) => r.started)).toHaveLength(1);
    expect(results.filter((r) => r.lostRace)).toHaveLength(1);
    expect(await runsOf(project)).toHaveLength(1);
  });

  it("lists only projects that poll, and does nothing for one that stopped", async () => {
    const { project } = await pollingProject(15);
    const off = await pollingProject(0);
    const listed = await listPollingProjects(t.db);
    expect(listed).toContainEqual({ projectId: project.id, intervalSeconds: 15 });
    expect(listed.map((p) => p.projectId)).not.toContain(off.project.id);
    expect(await pollProject(t.db, { dataDir }, off.project.id)).toMatchObject({ baseline: false, started: [] });
    expect(await polledHeads(off.project)).toEqual({});
  });
});
