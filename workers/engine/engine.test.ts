import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobs } from "@/db/schema";
import { eq } from "drizzle-orm";
import type { Project, User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { deriveKey } from "@/server/config/secret-key";
import { cancelRun, rerun } from "@/server/services/runs";
import { setSecret } from "@/server/services/secrets";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTestRepo, type TestRepo } from "@/server/testing/git-fixtures";
import { jobsOf, logOf, startPipeline, startTestEngine, waitForRun, type EngineHarness } from "@/server/testing/engine-harness";

let t: TestDatabase;
let engine: EngineHarness;
let dataDir: string;
let owner: User;
let project: Project;
let repo: TestRepo;
let sha: string;

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-engine-"));
  owner = await createUser(t.db, { email: "engine-owner@example.test" });
  repo = await createTestRepo();
  sha = await repo.commit({ "app.txt": "hello from the repository\n", "package.json": '{"name":"x"}\n' });
  project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
  engine = await startTestEngine(t.db, t.url, dataDir);
});

afterAll(async () => {
  await engine.stop();
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
  await cleanupAllTestRepos();
});

const run = (yaml: string) => startPipeline(t.db, owner, project, sha, yaml);

describe("the job engine", () => {
  it("runs a diamond DAG in dependency order and succeeds", async () => {
    const started = await run(`
on: { manual: {} }
jobs:
  a: { steps: [ { run: "echo a; date +%s%N" } ] }
  b: { needs: a, steps: [ { run: "sleep 0.2; echo b" } ] }
  c: { needs: a, steps: [ { run: "echo c" } ] }
  d: { needs: [b, c], steps: [ { uses: checkout }, { run: "cat app.txt" } ] }
`);
    const finished = await waitForRun(t.db, started.id);
    expect(finished.status).toBe("succeeded");
    const byKey = await jobsOf(t.db, started.id);
    expect(byKey.d.startedAt!.getTime()).toBeGreaterThanOrEqual(byKey.b.finishedAt!.getTime());
    expect(byKey.d.startedAt!.getTime()).toBeGreaterThanOrEqual(byKey.c.finishedAt!.getTime());
    expect(await logOf(t.db, byKey.d.id)).toContain("hello from the repository");
  });

  it("skips dependents when a job fails and fails the run", async () => {
    const started = await run(`
on: { manual: {} }
jobs:
  build: { steps: [ { run: "echo compiling; exit 3" } ] }
  deploy: { needs: build, steps: [ { run: "echo never" } ] }
  report: { needs: build, if: "failure()", steps: [ { run: "echo the build failed" } ] }
`);
    const finished = await waitForRun(t.db, started.id);
    expect(finished.status).toBe("failed");
    const byKey = await jobsOf(t.db, started.id);
    expect(byKey.build).toMatchObject({ status: "failed", reason: 'Step "Run echo compiling; exit 3" exited with code 3' });
    expect(byKey.deploy).toMatchObject({ status: "skipped", reason: "Skipped because build failed." });
    expect(byKey.report.status).toBe("succeeded");
  });

  it("expands a matrix into one job per combination", async () => {
    const started = await run(`
on: { manual: {} }
jobs:
  test:
    strategy: { matrix: { shard: [1, 2, 3] } }
    steps: [ { run: "echo shard \${{ matrix.shard }}" } ]
`);
    expect((await waitForRun(t.db, started.id)).status).toBe("succeeded");
    const byKey = await jobsOf(t.db, started.id);
    expect(Object.keys(byKey).sort()).toEqual(["test[shard=1]", "test[shard=2]", "test[shard=3]"]);
    expect(await logOf(t.db, byKey["test[shard=2]"].id)).toContain("shard 2");
  });

  it("cancels a running job within seconds", async () => {
    const started = await run(`
on: { manual: {} }
jobs:
  slow: { steps: [ { run: "echo started; sleep 60" } ] }
  after: { needs: slow, steps: [ { run: "echo never" } ] }
`);
    await waitForRun(t.db, started.id, () => true);
    await waitFor(async () => (await jobsOf(t.db, started.id)).slow.status === "running");
    await waitFor(async () => (await logOf(t.db, (await jobsOf(t.db, started.id)).slow.id)).includes("started"));
    const asked = Date.now();
    await cancelRun(t.db, actorFor(owner), { projectId: project.id, runId: started.id });
    const finished = await waitForRun(t.db, started.id, undefined, 10_000);
    expect(finished.status).toBe("cancelled");
    expect(Date.now() - asked).toBeLessThan(5_000);
    const byKey = await jobsOf(t.db, started.id);
    expect(byKey.slow.status).toBe("cancelled");
    expect(byKey.after.status).toBe("cancelled");
  });

  it("fails a job that runs past its timeout-minutes", async () => {
    const started = await run(`
on: { manual: {} }
jobs:
  stuck: { timeout-minutes: 0.02, steps: [ { run: "sleep 30" } ] }
`);
    const finished = await waitForRun(t.db, started.id, undefined, 15_000);
    expect(finished.status).toBe("failed");
    expect((await jobsOf(t.db, started.id)).stuck.reason).toBe("Timed out after 0.02 minutes.");
  });

  it("re-runs only the failed jobs, and one job on request", async () => {
    const marker = path.join(dataDir, `marker-${Date.now()}`);
    const started = await run(`
on: { manual: {} }
jobs:
  steady: { steps: [ { run: "echo steady" } ] }
  flaky: { steps: [ { run: "if [ -f ${marker} ]; then echo ok; else touch ${marker}; exit 1; fi" } ] }
`);
    expect((await waitForRun(t.db, started.id)).status).toBe("failed");
    const steadyBefore = (await jobsOf(t.db, started.id)).steady;
    await rerun(t.db, actorFor(owner), { projectId: project.id, runId: started.id, only: { failed: true } });
    expect((await waitForRun(t.db, started.id)).status).toBe("succeeded");
    const after = await jobsOf(t.db, started.id);
    expect(after.flaky.attempt).toBe(2);
    expect(after.steady.attempt).toBe(steadyBefore.attempt);
    expect(await logOf(t.db, after.flaky.id)).toContain("── Attempt 2 ──");

    await rerun(t.db, actorFor(owner), { projectId: project.id, runId: started.id, only: { jobKey: "steady" } });
    expect((await waitForRun(t.db, started.id)).status).toBe("succeeded");
    expect((await jobsOf(t.db, started.id)).steady.attempt).toBe(steadyBefore.attempt + 1);
  });

  it("masks secrets in the log, also base64- and URL-encoded", async () => {
    const key = deriveKey(engine.masterKey, "secrets");
    await setSecret(t.db, key, actorFor(owner), { projectId: project.id, name: "API_TOKEN", value: "s3cr3t value/with+chars" });
    const started = await run(`
on: { manual: {} }
jobs:
  leak:
    steps:
      - run: |
          echo "plain: $API_TOKEN"
          printf '%s' "$API_TOKEN" | base64
          echo "url: s3cr3t%20value%2Fwith%2Bchars"
          echo "expr: \${{ secrets.API_TOKEN }}"
`);
    expect((await waitForRun(t.db, started.id)).status).toBe("succeeded");
    const log = (await logOf(t.db, (await jobsOf(t.db, started.id)).leak.id)).join("\n");
    expect(log).not.toContain("s3cr3t");
    expect(log).not.toContain(Buffer.from("s3cr3t value/with+chars").toString("base64"));
    expect(log).toContain("plain: ***");
    expect(log).toContain("url: ***");
    expect(log).toContain("expr: ***");
  });

  it("passes artifacts between jobs and refuses paths that leave the workspace", async () => {
    const started = await run(`
on: { manual: {} }
jobs:
  build:
    steps:
      - run: mkdir -p dist && echo built-bits > dist/app.bin
      - uses: upload-artifact
        with: { name: app, path: dist }
  ship:
    needs: build
    steps:
      - uses: download-artifact
        with: { name: app, path: incoming }
      - run: cat incoming/app.bin
  escape:
    steps:
      - uses: upload-artifact
        with: { name: stolen, path: ../../etc }
`);
    expect((await waitForRun(t.db, started.id)).status).toBe("failed");
    const byKey = await jobsOf(t.db, started.id);
    expect(byKey.ship.status).toBe("succeeded");
    expect(await logOf(t.db, byKey.ship.id)).toContain("built-bits");
    expect(byKey.escape.status).toBe("failed");
    expect((await logOf(t.db, byKey.escape.id)).join("\n")).toMatch(/leaves the workspace/);
  });

  it("misses the cache on the first run and hits it on the second", async () => {
    const yaml = `
on: { manual: {} }
jobs:
  deps:
    steps:
      - uses: checkout
      - uses: cache
        with: { key: "deps-\${{ hashFiles('package.json') }}", path: vendor }
      - run: mkdir -p vendor && echo fetched > vendor/lib.txt
`;
    const first = await run(yaml);
    expect((await waitForRun(t.db, first.id)).status).toBe("succeeded");
    expect((await logOf(t.db, (await jobsOf(t.db, first.id)).deps.id)).join("\n")).toMatch(/Cache miss: deps-[0-9a-f]{64}/);
    const second = await run(yaml);
    expect((await waitForRun(t.db, second.id)).status).toBe("succeeded");
    expect((await logOf(t.db, (await jobsOf(t.db, second.id)).deps.id)).join("\n")).toMatch(/Cache hit: deps-[0-9a-f]{64}/);
  });

  it("never runs a job twice when two workers serve the same queue", async () => {
    const second = await startTestEngine(t.db, t.url, dataDir, { masterKey: engine.masterKey });
    try {
      const yaml = `
on: { manual: {} }
jobs:
${Array.from({ length: 30 }, (_, i) => `  j${i}: { steps: [ { run: "echo once" } ] }`).join("\n")}
`;
      const started = await run(yaml);
      expect((await waitForRun(t.db, started.id)).status).toBe("succeeded");
      const byKey = await jobsOf(t.db, started.id);
      for (const job of Object.values(byKey)) {
        expect(job.attempt).toBe(1);
        expect((await logOf(t.db, job.id)).filter((l) => l === "once")).toHaveLength(1);
      }
      expect(new Set(Object.values(byKey).map((j) => j.workerId)).size).toBeGreaterThanOrEqual(1);
    } finally {
      await second.stop();
    }
  });

  it("hands a job its stopping worker gives back to the next worker, which runs it to the end", async () => {
    const started = await run(`
on: { manual: {} }
jobs:
  handed: { steps: [ { run: "echo carried on" } ] }
`);
    expect((await waitForRun(t.db, started.id)).status).toBe("succeeded");
    // As a stopping worker leaves a deploy job: running, and handed back rather than finished.
    await t.db.update(jobs).set({ status: "running", workerId: "stopping-worker" }).where(eq(jobs.runId, started.id));
    const { handBackJob } = await import("@/server/services/job-lifecycle");
    const { handed } = await jobsOf(t.db, started.id);
    expect(await handBackJob(t.db, { jobId: handed.id, attempt: handed.attempt }, "The worker stopped.")).toBe(true);
    await waitFor(async () => (await jobsOf(t.db, started.id)).handed.status === "succeeded");
    const again = (await jobsOf(t.db, started.id)).handed;
    expect(again.attempt).toBe(handed.attempt + 1);
    expect(again.workerId).not.toBe("stopping-worker");
    // A second hand-back of the same attempt finds nothing to hand back.
    expect(await handBackJob(t.db, { jobId: handed.id, attempt: handed.attempt }, "The worker stopped.")).toBe(false);
  });

  it("retries a job whose worker vanished, and fails it with the reason when no attempt is left", async () => {
    const started = await run(`
on: { manual: {} }
jobs:
  lonely: { retries: 1, steps: [ { run: "echo hi" } ] }
`);
    expect((await waitForRun(t.db, started.id)).status).toBe("succeeded");
    // Pretend a worker that no longer exists held the job: it is running, with no heartbeat behind it.
    await t.db
      .update(jobs)
      .set({ status: "running", workerId: "gone-worker", startedAt: new Date(Date.now() - 120_000) })
      .where(eq(jobs.runId, started.id));
    const { recoverLostJobs } = await import("@/server/services/job-lifecycle");
    expect(await recoverLostJobs(t.db, { staleAfterMs: 60_000 })).toBe(1);
    const lonely = (await jobsOf(t.db, started.id)).lonely;
    expect(lonely.reason).toMatch(/The worker running this job \(gone-worker\) stopped responding/);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}
