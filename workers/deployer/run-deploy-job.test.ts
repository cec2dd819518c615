import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifacts, deployments, jobs, releases, type Run } from "@/db/schema";
import { createTestDatabase } from "@/db/testing/database";
import type { StoredPlan } from "@/server/services/run-plan";
import { packToBlob } from "@/server/services/artifacts";
import { createRun } from "@/server/services/runs";
import { actorFor } from "@/server/testing/fixtures";
import { DeployWorld } from "./testing/harness";
import { WorkerStopping } from "@/workers/engine/stopping";
import { runDeployJob } from "./run-deploy-job";

/** A pipeline job with `environment:` and `deploy:` makes the release, deploys it and follows it in its log. */
let world: DeployWorld;

beforeAll(async () => {
  world = await new DeployWorld(await createTestDatabase()).start();
});

afterAll(async () => {
  await world.stop();
  await world.t.close();
});

const PIPELINE = `
on: { manual: {} }
jobs:
  build:
    steps: [ { run: ./build.sh } ]
  ship:
    needs: build
    environment: development
    deploy:
      artifact: app
      strategy: { rolling: { max-surge: 1, max-unavailable: 0 } }
      health-check: { path: /healthz, interval-seconds: 1, failure-threshold: 2 }
`;

/** A run whose build job finished and uploaded the app (app.json with `behaviour`) as its artifact. */
async function builtRun(project: { id: string }, behaviour: Record<string, unknown>, version?: string): Promise<Run> {
  const run = await createRun(world.db, actorFor(world.owner), { projectId: project.id, trigger: "manual", triggeredBy: world.owner.id, event: { sha: "a".repeat(40), branch: "main" }, pipeline: { yaml: PIPELINE } });
  const [build] = await world.db.select().from(jobs).where(and(eq(jobs.runId, run.id), eq(jobs.key, "build")));
  await world.db.update(jobs).set({ status: "succeeded", outputs: version ? { version } : {} }).where(eq(jobs.id, build.id));
  const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-build-"));
  await writeFile(path.join(dir, "app.json"), JSON.stringify({ version: version ?? `run ${run.number}`, healthy: true, ...behaviour }));
  const packed = await packToBlob(world.dataDir, dir, ["."], { wording: { what: "app" }, maxBytes: 1e6, tooLarge: () => new Error("too large") });
  await rm(dir, { recursive: true, force: true });
  await world.db.insert(artifacts).values({ runId: run.id, jobId: build.id, name: "app", digest: packed!.digest, sizeBytes: packed!.size, fileCount: 1 });
  return run;
}

async function ship(run: Run, signal = new AbortController().signal) {
  const [job] = await world.db.select().from(jobs).where(and(eq(jobs.runId, run.id), eq(jobs.key, "ship")));
  const lines: string[] = [];
  const spec = (run.plan as StoredPlan).pipeline.jobs.ship;
  const result = await runDeployJob({ db: world.db, dataDir: world.dataDir, run, job, spec, log: (line) => lines.push(line), signal, pollMs: 100 });
  return { result, lines };
}

describe("a pipeline's deploy job", { timeout: 60_000 }, () => {
  it("makes the run's release, deploys it to the named environment, and logs the steps and the result", async () => {
    const { project } = await world.localEnvironment({ strategy: "blue-green", replicas: 1 });
    const { result, lines } = await ship(await builtRun(project, {}, "2.4.0"));
    expect(result).toMatchObject({ status: "succeeded", outputs: { version: "2.4.0" } });
    expect(lines[0]).toMatch(/^Release 2\.4\.0 \(#1\) of commit aaaaaaa: artifact app$/);
    expect(lines[1]).toBe("Deploying 2.4.0 to development (rolling)");
    expect(lines.some((l) => /Start 1 instance of 2\.4\.0/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe("Deployment succeeded: 2.4.0 is live");
    const [release] = await world.db.select().from(releases).where(eq(releases.projectId, project.id));
    expect(release).toMatchObject({ version: "2.4.0", artifactName: "app", commitSha: "a".repeat(40) });

    // Run again (a retried job): the same release, already live, nothing to do.
    const again = await ship(await world.db.query.runs.findFirst({ where: (r, { eq }) => eq(r.id, release.runId!) }).then((r) => r!));
    expect(again.result.status).toBe("succeeded");
    expect(again.lines.at(-1)).toBe("2.4.0 is already live in development; nothing to deploy.");
  });

  it("fails the job with the rollback's reason when the release never becomes healthy", async () => {
    const { project } = await world.localEnvironment({ strategy: "rolling", replicas: 1 });
    expect((await ship(await builtRun(project, {}))).result.status).toBe("succeeded");
    const { result } = await ship(await builtRun(project, { healthy: false }));
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/^Deployment rolled back: Instance .* of 1\.0\.\d+ failed its health check/);
  });

  it("aborts the deployment when the job is cancelled", async () => {
    const { project } = await world.localEnvironment({ strategy: "rolling", replicas: 1 });
    expect((await ship(await builtRun(project, {}))).result.status).toBe("succeeded");
    const cancel = new AbortController();
    const shipping = ship(await builtRun(project, { startDelayMs: 60_000 }), cancel.signal);
    setTimeout(() => cancel.abort(), 1_500);
    const { result, lines } = await shipping;
    expect(result).toMatchObject({ status: "cancelled" });
    expect(lines.some((l) => l.startsWith("The job was cancelled"))).toBe(true);
    expect(lines.at(-1)).toMatch(/^Deployment aborted: Aborted by run #\d+ \(ship\)/);
  });

  it("leaves the deployment going when its worker stops, and the job's next attempt follows the same deployment", async () => {
    const { project } = await world.localEnvironment({ strategy: "rolling", replicas: 1 });
    expect((await ship(await builtRun(project, {}))).result.status).toBe("succeeded");
    const run = await builtRun(project, { startDelayMs: 2_000 });
    const stopping = new AbortController();
    const first = ship(run, stopping.signal);
    setTimeout(() => stopping.abort(new WorkerStopping()), 500);
    await expect(first).rejects.toBeInstanceOf(WorkerStopping);
    const [asked] = await world.db.select().from(deployments).where(eq(deployments.runId, run.id));
    expect(["queued", "pending", "progressing"]).toContain(asked.phase);

    const { result, lines } = await ship(run);
    expect(lines).toContain(`Following deployment ${asked.id}, asked for by an earlier attempt of this job.`);
    expect(result.status).toBe("succeeded");
    expect(await world.db.select().from(deployments).where(eq(deployments.runId, run.id))).toHaveLength(1);
  });

  it("fails clearly when the environment does not exist", async () => {
    const { project } = await world.localEnvironment({ strategy: "rolling" });
    const run = await builtRun(project, {});
    const plan = run.plan as StoredPlan;
    plan.pipeline.jobs.ship.environment = { name: "moon" };
    expect((await ship({ ...run, plan })).result).toEqual({ status: "failed", reason: 'This project has no environment named "moon".' });
  });
});
