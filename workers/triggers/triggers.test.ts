import type PgBoss from "pg-boss";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectPipelineSettings, runs, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { QUEUES, startBoss } from "@/server/queue/boss";
import { scheduleName } from "@/server/services/schedules";
import { createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTempDir, createTestRepo } from "@/server/testing/git-fixtures";
import { registerTriggerWorkers } from "./index";

let t: TestDatabase;
let boss: PgBoss;
let owner: User;
let stop: () => Promise<void>;

beforeAll(async () => {
  t = await createTestDatabase();
  boss = await startBoss(t.url);
  owner = await createUser(t.db);
  stop = await registerTriggerWorkers(boss, t.db, await createTempDir(), { pollTickMs: 250, schedulePollingSeconds: 1 });
});

afterAll(async () => {
  await stop();
  await boss.stop({ graceful: false, wait: true });
  await t.close();
  await cleanupAllTestRepos();
});

async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Gave up after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const PIPELINE = `on:
  push:
    branches: [main]
  schedule:
    - cron: "0 3 * * *"
jobs:
  build:
    steps:
      - run: echo build
`;

describe("registerTriggerWorkers", () => {
  it("polls a repository and starts a poll run when its branch moves", async () => {
    const repo = await createTestRepo();
    await repo.commit({ ".slipway.yml": PIPELINE }, "Pipeline");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    await t.db.insert(projectPipelineSettings).values({ projectId: project.id, pollIntervalSeconds: 5 });
    await eventually(async () => {
      const [row] = await t.db.select().from(projectPipelineSettings).where(eq(projectPipelineSettings.projectId, project.id));
      return Object.keys(row.polledHeads).length > 0;
    });
    const head = await repo.commit({ "src/app.ts": "changed\n" }, "Change");
    const run = await eventually(async () => (await t.db.select().from(runs).where(and(eq(runs.projectId, project.id), eq(runs.trigger, "poll"))))[0]);
    expect(run).toMatchObject({ commitSha: head, branch: "main" });
  });

  it("registers a project's schedules on request, and starts a run when one fires", async () => {
    const repo = await createTestRepo();
    const head = await repo.commit({ ".slipway.yml": PIPELINE }, "Pipeline with a schedule");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    await boss.send(QUEUES.scheduleSync, { projectId: project.id });
    const name = scheduleName(project.id, 0);
    const schedule = await eventually(async () => (await boss.getSchedules()).find((s) => s.name === name));
    expect(schedule.cron).toBe("0 3 * * *");
    // What pg-boss does when the cron comes round: send the schedule's data to its queue.
    await boss.send(name, schedule.data ?? {});
    const run = await eventually(async () => (await t.db.select().from(runs).where(and(eq(runs.projectId, project.id), eq(runs.trigger, "schedule"))))[0]);
    expect(run).toMatchObject({ commitSha: head, branch: "main" });
  });
});
