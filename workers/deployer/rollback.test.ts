import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "@/db/schema";
import { createTestDatabase } from "@/db/testing/database";
import type { DeploymentSpecInput } from "@/server/deploy";
import { getDeployment, requestDeployment, rollbackEnvironment } from "@/server/services/deployments";
import { currentRelease } from "@/server/services/releases";
import { actorFor } from "@/server/testing/fixtures";
import { eq } from "drizzle-orm";
import { LoadGenerator } from "./testing/load";
import { DeployWorld, waitForDeployment, waitForServing, type AppBehaviour } from "./testing/harness";

/** Failed releases go back to stable by themselves, and people can go back to any earlier release. */
let world: DeployWorld;

beforeAll(async () => {
  world = await new DeployWorld(await createTestDatabase()).start();
});

afterAll(async () => {
  await world.stop();
  await world.t.close();
});

const fastCheck = { path: "/healthz", intervalSeconds: 1, failureThreshold: 2 };

/** An environment serving 1.0.2 (after 1.0.1), with load running through it. */
async function serving(strategy: DeploymentSpecInput) {
  const env = await world.localEnvironment(strategy);
  const actor = actorFor(world.owner);
  for (const version of ["1.0.1", "1.0.2"]) {
    const release = await world.localRelease(env.project, version);
    const deployment = await requestDeployment(world.db, actor, { projectId: env.project.id, environmentId: env.environmentId, releaseId: release.id, overrides: { strategy: "rolling" } });
    expect(await waitForDeployment(world.db, deployment.id)).toMatchObject({ phase: "succeeded" });
  }
  await waitForServing(env.url, "1.0.2");
  return { ...env, actor, load: new LoadGenerator(env.url, 50).start() };
}

async function deployBroken(env: Awaited<ReturnType<typeof serving>>, behaviour: AppBehaviour) {
  const v3 = await world.localRelease(env.project, "1.0.3", behaviour);
  const deployment = await requestDeployment(world.db, env.actor, { projectId: env.project.id, environmentId: env.environmentId, releaseId: v3.id });
  const done = await waitForDeployment(world.db, deployment.id);
  const stats = await env.load.stop();
  return { done, stats, detail: await getDeployment(world.db, env.project.id, deployment.id) };
}

describe("automatic rollback", { timeout: 60_000 }, () => {
  it("rolls a release that fails its health check back to stable with zero failed requests", async () => {
    const env = await serving({ strategy: "rolling", replicas: 2, maxSurge: 1, maxUnavailable: 0, healthCheck: fastCheck });
    const { done, stats, detail } = await deployBroken(env, { healthy: false });
    expect(done.phase).toBe("rolled_back");
    expect(done.reason).toMatch(/^Instance .* of 1\.0\.3 failed its health check \(GET \/healthz expecting 200\) 2 times in a row$/);
    expect(done.message).toBe(`Rolled back to 1.0.2: ${done.reason}`);
    expect(stats.failures).toEqual([]);
    expect(stats.byBody["version 1.0.3"]).toBeUndefined();
    expect(detail.events.some((e) => e.kind === "rollback")).toBe(true);
    expect((await currentRelease(world.db, env.environmentId))?.version).toBe("1.0.2");
    const audited = await world.db.select().from(auditEvents).where(eq(auditEvents.objectId, done.id));
    expect(audited.map((a) => a.action)).toEqual(["deployment.create", "deployment.rollback.automatic", "deployment.end"]);
  });

  it("aborts a canary that answers 5xx back to stable, on the analysis' verdict", async () => {
    const env = await serving({
      strategy: "canary",
      replicas: 2,
      healthCheck: fastCheck,
      steps: [{ setWeight: 20 }, { analysis: { windowSeconds: 10, minRequests: 20, maxErrorRate: 0.05 } }, { setWeight: 100 }],
    });
    const { done, stats, detail } = await deployBroken(env, { failRequests: true });
    expect(done.phase).toBe("rolled_back");
    expect(done.reason).toMatch(/^Canary error rate 100% over the last 10 s \(\d+ requests\) exceeded the limit of 5%$/);
    // Only the canary's own answers failed: no request was dropped by the router.
    expect(Object.keys(stats.byStatus).sort()).toEqual(["200", "500"]);
    expect(detail.analysis.at(-1)).toMatchObject({ data: { verdict: "fail" } });
    expect(detail.trafficChanges.map((e) => e.data)).toEqual([{ "1.0.2": 80, "1.0.3": 20 }, { "1.0.2": 100 }]);
    await waitForServing(env.url, "1.0.2");
  });

  it("takes traffic off a serving canary the moment it fails its health check, and stops it only after, with zero failed requests", async () => {
    const env = await serving({ strategy: "canary", replicas: 2, healthCheck: { ...fastCheck, failureThreshold: 1 }, steps: [{ setWeight: 50 }, { pause: {} }] });
    const v3 = await world.localRelease(env.project, "1.0.3");
    const deployment = await requestDeployment(world.db, env.actor, { projectId: env.project.id, environmentId: env.environmentId, releaseId: v3.id });
    await waitForDeployment(world.db, deployment.id, (row) => row.phase === "paused");
    await waitForServing(env.url, "1.0.3");
    // The app answers its health check with 503 from now on (see app-server.mjs); its other answers stay 200.
    const folder = path.join(world.dataDir, "targets", "local", "releases", v3.artifactDigest!.replace(/[^0-9a-z]/gi, "_"));
    await writeFile(path.join(folder, "unhealthy"), "");
    const done = await waitForDeployment(world.db, deployment.id);
    const stats = await env.load.stop();
    expect(done.phase).toBe("rolled_back");
    expect(done.reason).toMatch(/^Instance .* of 1\.0\.3 failed its health check/);
    expect(stats.failures).toEqual([]);
    const detail = await getDeployment(world.db, env.project.id, deployment.id);
    expect(detail.trafficChanges.map((e) => e.data)).toEqual([{ "1.0.2": 50, "1.0.3": 50 }, { "1.0.2": 100 }]);
    // Recorded in order: the rollback, then (once the router had all traffic on stable) the stop.
    const kinds = detail.events.filter((e) => e.kind === "rollback" || (e.kind === "action" && e.message.startsWith("Stop"))).map((e) => e.kind);
    expect(kinds).toEqual(["rollback", "action"]);
    await waitForServing(env.url, "1.0.2");
    await rm(path.join(folder, "unhealthy"));
  });
});

describe("manual rollback", { timeout: 60_000 }, () => {
  it("puts the previous release back by a blue-green switch with zero failed requests", async () => {
    const env = await serving({ strategy: "rolling", replicas: 2, healthCheck: fastCheck });
    const rollback = await rollbackEnvironment(world.db, env.actor, { projectId: env.project.id, environmentId: env.environmentId });
    expect(rollback).toMatchObject({ kind: "rollback", phase: "pending" });
    const done = await waitForDeployment(world.db, rollback.id);
    const stats = await env.load.stop();
    expect(done.phase).toBe("succeeded");
    expect(stats.failures).toEqual([]);
    expect((await currentRelease(world.db, env.environmentId))?.version).toBe("1.0.1");
    await waitForServing(env.url, "1.0.1");
    // Rolling back again goes to the release before this one in the environment's history: 1.0.2.
    const again = await rollbackEnvironment(world.db, env.actor, { projectId: env.project.id, environmentId: env.environmentId });
    expect((await getDeployment(world.db, env.project.id, again.id)).release.version).toBe("1.0.2");
    expect(await waitForDeployment(world.db, again.id)).toMatchObject({ phase: "succeeded" });
  });
});
