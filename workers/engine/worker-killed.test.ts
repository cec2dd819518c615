import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project, User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTestRepo } from "@/server/testing/git-fixtures";
import { jobsOf, logOf, startPipeline, startTestEngine, waitForRun } from "@/server/testing/engine-harness";

/** A real worker process (`npm run worker`), killed with SIGKILL while it runs a job. */
describe("a worker killed mid-job", () => {
  let t: TestDatabase;
  let dataDir: string;
  let owner: User;
  let project: Project;
  let sha: string;
  const masterKey = randomBytes(32);

  beforeAll(async () => {
    t = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-killed-"));
    owner = await createUser(t.db, { email: "killed@example.test" });
    const repo = await createTestRepo();
    sha = await repo.commit({ "README.md": "x\n" });
    project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
  });

  afterAll(async () => {
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
    await cleanupAllTestRepos();
  });

  it("has its job retried by another worker, and the run finishes", { timeout: 120_000 }, async () => {
    const marker = path.join(dataDir, "first-attempt-started");
    const worker = spawn(process.execPath, ["server/cli/launch.mjs", "worker"], {
      env: { ...process.env, DATABASE_URL: t.url, SLIPWAY_DATA_DIR: dataDir, SLIPWAY_SECRET_KEY: masterKey.toString("hex"), SLIPWAY_WORKER_CONCURRENCY: "2" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    worker.stdout!.on("data", (d) => (output += d));
    worker.stderr!.on("data", (d) => (output += d));
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    try {
      await until(() => output.includes("ready"), 60_000, () => output);
      // The first attempt hangs; the retry finds the marker and finishes at once.
      const run = await startPipeline(t.db, owner, project, sha, `
on: { manual: {} }
jobs:
  long:
    retries: 1
    steps:
      - run: if [ -f ${marker} ]; then echo second attempt; else touch ${marker}; echo $$ > ${path.join(dataDir, "first-attempt-pid")}; echo first attempt; sleep 600; fi
`);
      await until(async () => (await logOf(t.db, (await jobsOf(t.db, run.id)).long.id)).includes("first attempt"), 30_000);
      const orphan = Number((await readFile(path.join(dataDir, "first-attempt-pid"), "utf8")).trim());
      worker.kill("SIGKILL");
      await exited;
      expect(alive(orphan)).toBe(true);

      // Another worker notices the dead one has stopped beating and takes the job over.
      const rescuer = await startTestEngine(t.db, t.url, dataDir, { masterKey, lostAfterMs: 2_000 });
      try {
        const finished = await waitForRun(t.db, run.id, undefined, 60_000);
        expect(finished.status).toBe("succeeded");
        const job = (await jobsOf(t.db, run.id)).long;
        expect(job.attempt).toBe(2);
        expect(await logOf(t.db, job.id)).toContain("second attempt");
        // The step the killed worker left running was stopped by the next worker on the machine.
        expect(alive(orphan)).toBe(false);
      } finally {
        await rescuer.stop();
      }
    } finally {
      worker.kill("SIGKILL");
    }
  });
});

/** Running, as opposed to gone or a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, describe?: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out${describe ? `:\n${describe()}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
