import { randomUUID } from "node:crypto";
import type PgBoss from "pg-boss";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineRevisions, projectPipelineSettings, runs, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { parsePipeline, type Pipeline } from "@/server/pipeline";
import { startBoss } from "@/server/queue/boss";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTempDir, createTestRepo } from "@/server/testing/git-fixtures";
import { setProjectArchived } from "./projects";
import { scheduleName, startScheduledRun, syncAllSchedules, syncProjectSchedules, syncSchedules } from "./schedules";

let t: TestDatabase;
let boss: PgBoss;
let owner: User;
let dataDir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  boss = await startBoss(t.url);
  owner = await createUser(t.db);
  dataDir = await createTempDir();
});

afterAll(async () => {
  await boss.stop({ graceful: false, wait: true });
  await t.close();
  await cleanupAllTestRepos();
});

function pipelineWith(schedules: string): string {
  return `on:\n  push:\n    branches: [main]\n  schedule:\n${schedules}jobs:\n  nightly:\n    steps:\n      - run: echo nightly\n`;
}

function parsed(yaml: string): Pipeline {
  const result = parsePipeline(yaml);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join("; "));
  return result.pipeline;
}

type Row = PgBoss.Schedule & { timezone: string };
const schedulesOf = async (projectId: string) =>
  ((await boss.getSchedules()) as Row[]).filter((s) => s.name.startsWith(`schedule.${projectId}.`)).sort((a, b) => a.name.localeCompare(b.name));

describe("syncSchedules", () => {
  it("registers one pg-boss schedule per on.schedule entry, with its time zone", async () => {
    const project = await createProjectAs(t.db, owner);
    const pipeline = parsed(pipelineWith(`    - cron: "0 3 * * *"\n    - cron: "30 6 * * 1-5"\n      timezone: Europe/Berlin\n`));
    const result = await syncSchedules(boss, t.db, project.id, pipeline);
    expect(result.scheduled).toEqual([scheduleName(project.id, 0), scheduleName(project.id, 1)]);
    const rows = await schedulesOf(project.id);
    expect(rows.map((r) => [r.name, r.cron, r.timezone])).toEqual([
      [`schedule.${project.id}.0`, "0 3 * * *", "UTC"],
      [`schedule.${project.id}.1`, "30 6 * * 1-5", "Europe/Berlin"],
    ]);
    expect(rows[1].data).toEqual({ projectId: project.id, index: 1, cron: "30 6 * * 1-5", timezone: "Europe/Berlin" });
  });

  it("leaves unchanged entries alone, updates changed ones and removes dropped ones with their queues", async () => {
    const project = await createProjectAs(t.db, owner);
    await syncSchedules(boss, t.db, project.id, parsed(pipelineWith(`    - cron: "0 3 * * *"\n    - cron: "0 4 * * *"\n    - cron: "0 5 * * *"\n`)));
    const result = await syncSchedules(boss, t.db, project.id, parsed(pipelineWith(`    - cron: "0 3 * * *"\n    - cron: "15 4 * * *"\n`)));
    expect(result).toMatchObject({ unchanged: [scheduleName(project.id, 0)], scheduled: [scheduleName(project.id, 1)], removed: [scheduleName(project.id, 2)] });
    expect((await schedulesOf(project.id)).map((r) => r.cron)).toEqual(["0 3 * * *", "15 4 * * *"]);
    expect(await boss.getQueue(scheduleName(project.id, 2))).toBeNull();
  });

  it("removes every schedule for a pipeline without them, and for an archived project", async () => {
    const project = await createProjectAs(t.db, owner);
    const pipeline = parsed(pipelineWith(`    - cron: "0 3 * * *"\n`));
    await syncSchedules(boss, t.db, project.id, pipeline);
    expect(await schedulesOf(project.id)).toHaveLength(1);
    await syncSchedules(boss, t.db, project.id, null);
    expect(await schedulesOf(project.id)).toHaveLength(0);
    await syncSchedules(boss, t.db, project.id, pipeline);
    await setProjectArchived(t.db, actorFor(owner), project.id, true);
    await syncSchedules(boss, t.db, project.id, pipeline);
    expect(await schedulesOf(project.id)).toHaveLength(0);
  });
});

describe("schedules from the repository", () => {
  it("reads them from the default branch's head, and drops them when the pipeline there stops validating", async () => {
    const repo = await createTestRepo();
    await repo.commit({ ".slipway.yml": pipelineWith(`    - cron: "0 2 * * 0"\n`) }, "Nightly");
    await repo.branch("other");
    await repo.commit({ ".slipway.yml": pipelineWith(`    - cron: "0 9 * * *"\n`) }, "Not on the default branch");
    await repo.checkout("main");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    await syncProjectSchedules(boss, t.db, { dataDir }, project.id);
    expect((await schedulesOf(project.id)).map((r) => r.cron)).toEqual(["0 2 * * 0"]);

    await repo.commit({ ".slipway.yml": "on: push\n" }, "Break the pipeline");
    await syncAllSchedules(boss, t.db, { dataDir });
    expect(await schedulesOf(project.id)).toHaveLength(0);
  });
});

describe("schedules from a pipeline kept in Slipway", () => {
  it("reads them from the latest revision without asking the git host", async () => {
    const project = await createProjectAs(t.db, owner, { repositoryUrl: "https://git.invalid/acme/unreachable.git" });
    await t.db.insert(projectPipelineSettings).values({ projectId: project.id, source: "slipway" });
    await t.db.insert(pipelineRevisions).values({ projectId: project.id, number: 1, yaml: pipelineWith(`    - cron: "45 1 * * *"\n`) });
    await syncProjectSchedules(boss, t.db, { dataDir }, project.id);
    expect((await schedulesOf(project.id)).map((r) => r.cron)).toEqual(["45 1 * * *"]);
  });
});

describe("startScheduledRun", () => {
  it("starts a run on the default branch head when the schedule fires, once per job", async () => {
    const repo = await createTestRepo();
    const head = await repo.commit({ ".slipway.yml": pipelineWith(`    - cron: "0 3 * * *"\n      timezone: Europe/Berlin\n`) }, "Nightly build");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    const job = { projectId: project.id, index: 0, cron: "0 3 * * *", timezone: "Europe/Berlin" };
    const jobId = randomUUID();
    const outcome = await startScheduledRun(t.db, { dataDir }, job, jobId);
    expect(outcome.started).toBe(true);
    const rows = await t.db.select().from(runs).where(eq(runs.projectId, project.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ trigger: "schedule", commitSha: head, branch: "main" });
    expect(rows[0].event).toMatchObject({ message: "Nightly build", deliveryId: `schedule:${jobId}` });

    const again = await startScheduledRun(t.db, { dataDir }, job, jobId);
    expect(again).toMatchObject({ started: false, duplicate: true });
    expect(await t.db.select().from(runs).where(eq(runs.projectId, project.id))).toHaveLength(1);
  });

  it("starts nothing when the pipeline no longer has the schedule", async () => {
    const repo = await createTestRepo();
    await repo.commit({ ".slipway.yml": pipelineWith(`    - cron: "0 3 * * *"\n`) }, "Nightly");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    const outcome = await startScheduledRun(t.db, { dataDir }, { projectId: project.id, index: 0, cron: "0 4 * * *", timezone: "UTC" }, randomUUID());
    expect(outcome).toEqual({ started: false, reason: 'The pipeline has no schedule with cron "0 4 * * *".' });
  });
});
