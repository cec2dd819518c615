import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { approvalRequests, artifacts, jobs, projectMembers, type Run, type User } from "@/db/schema";
import { createTestDatabase } from "@/db/testing/database";
import { decideApproval } from "@/server/services/approvals";
import { packToBlob } from "@/server/services/artifacts";
import { setProtectionRules } from "@/server/services/governance-rules";
import type { StoredPlan } from "@/server/services/run-plan";
import { createRun } from "@/server/services/runs";
import { actorFor, createUser } from "@/server/testing/fixtures";
import { runDeployJob } from "@/workers/deployer/run-deploy-job";
import { DeployWorld } from "@/workers/deployer/testing/harness";

/**
 * Pipeline deploy jobs meet the environment's rules: they wait for approval (logging why),
 * one approval releases every deploy job of the release there, and a rejection fails them
 * with the comment. Real worker, real local target.
 */
let world: DeployWorld;
let approver: User;

beforeAll(async () => {
  world = await new DeployWorld(await createTestDatabase()).start();
  approver = await createUser(world.db, { name: "Approver" });
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
  ship-a:
    needs: build
    environment: development
    deploy:
      artifact: app
      strategy: { rolling: { max-surge: 1, max-unavailable: 0 } }
      health-check: { path: /healthz, interval-seconds: 1, failure-threshold: 2 }
  ship-b:
    needs: build
    environment: development
    deploy:
      artifact: app
      strategy: { rolling: { max-surge: 1, max-unavailable: 0 } }
      health-check: { path: /healthz, interval-seconds: 1, failure-threshold: 2 }
`;

async function protectedRun(): Promise<{ run: Run; projectId: string }> {
  const { project, environmentId } = await world.localEnvironment({ strategy: "rolling", replicas: 1 });
  await world.db.insert(projectMembers).values({ projectId: project.id, userId: approver.id, role: "maintainer" });
  await setProtectionRules(world.db, actorFor(world.owner), { projectId: project.id, environmentId, rules: { stages: [{ name: "Release manager", count: 1, approvers: { roles: ["maintainer"] } }] } });
  const run = await createRun(world.db, actorFor(world.owner), { projectId: project.id, trigger: "manual", triggeredBy: world.owner.id, event: { sha: "b".repeat(40), branch: "main" }, pipeline: { yaml: PIPELINE } });
  const [build] = await world.db.select().from(jobs).where(and(eq(jobs.runId, run.id), eq(jobs.key, "build")));
  await world.db.update(jobs).set({ status: "succeeded" }).where(eq(jobs.id, build.id));
  const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-build-"));
  await writeFile(path.join(dir, "app.json"), JSON.stringify({ version: `run ${run.number}`, healthy: true }));
  const packed = await packToBlob(world.dataDir, dir, ["."], { wording: { what: "app" }, maxBytes: 1e6, tooLarge: () => new Error("too large") });
  await rm(dir, { recursive: true, force: true });
  await world.db.insert(artifacts).values({ runId: run.id, jobId: build.id, name: "app", digest: packed!.digest, sizeBytes: packed!.size, fileCount: 1 });
  return { run, projectId: project.id };
}

async function ship(run: Run, key: string) {
  const [job] = await world.db.select().from(jobs).where(and(eq(jobs.runId, run.id), eq(jobs.key, key)));
  const lines: string[] = [];
  const spec = (run.plan as StoredPlan).pipeline.jobs[key];
  const result = await runDeployJob({ db: world.db, dataDir: world.dataDir, run, job, spec, log: (line) => lines.push(line), signal: new AbortController().signal, pollMs: 100 });
  return { result, lines };
}

async function pendingRequest(projectId: string) {
  let id = "";
  await vi.waitFor(
    async () => {
      const [request] = await world.db.select().from(approvalRequests).where(and(eq(approvalRequests.projectId, projectId), eq(approvalRequests.status, "pending")));
      expect(request).toBeDefined();
      id = request.id;
    },
    { timeout: 20_000, interval: 100 },
  );
  return id;
}

describe("deploy jobs under protection rules", { timeout: 90_000 }, () => {
  it("wait for approval, and one approval releases both deploy jobs of the release", async () => {
    const { run, projectId } = await protectedRun();
    const jobsDone = Promise.all([ship(run, "ship-a"), ship(run, "ship-b")]);
    const requestId = await pendingRequest(projectId);
    // The triggerer cannot approve their own run's release.
    await expect(decideApproval(world.db, world.owner, actorFor(world.owner), { projectId, requestId, decision: "approved" })).rejects.toThrow(/You triggered the run/);
    await decideApproval(world.db, approver, actorFor(approver), { projectId, requestId, decision: "approved", comment: "go" });
    const [a, b] = await jobsDone;
    expect([a.result.status, b.result.status]).toEqual(["succeeded", "succeeded"]);
    expect(await world.db.select().from(approvalRequests).where(eq(approvalRequests.projectId, projectId))).toHaveLength(1);
    const logs = [...a.lines, ...b.lines];
    expect(logs.some((l) => /Waiting for approval \(Release manager: 1 more of 1\)/.test(l))).toBe(true);
    expect(logs.some((l) => l.includes(`Cleared: approved by ${approver.email}`))).toBe(true);
  });

  it("fail with the rejection's comment", async () => {
    const { run, projectId } = await protectedRun();
    const done = ship(run, "ship-a");
    const requestId = await pendingRequest(projectId);
    await decideApproval(world.db, approver, actorFor(approver), { projectId, requestId, decision: "rejected", comment: "not during the sale" });
    const { result } = await done;
    expect(result).toMatchObject({ status: "failed", reason: `Deployment aborted: Rejected by ${approver.email}: not during the sale` });
  });
});
