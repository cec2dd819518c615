import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@/db/testing/database";
import type { DeploymentSpecInput } from "@/server/deploy";
import { FIRST_DEPLOYMENT_NOTE } from "@/server/deploy/canary";
import { getDeployment, requestDeployment } from "@/server/services/deployments";
import { actorFor } from "@/server/testing/fixtures";
import { LoadGenerator } from "./testing/load";
import { DeployWorld, waitForDeployment, waitForServing } from "./testing/harness";

/**
 * Each strategy on the local target deploys v2 over v1 while 50 keep-alive clients send
 * requests through the router the whole time: every request must succeed.
 */
let world: DeployWorld;

beforeAll(async () => {
  world = await new DeployWorld(await createTestDatabase()).start();
});

afterAll(async () => {
  await world.stop();
  await world.t.close();
});

const fastCheck = { path: "/healthz", intervalSeconds: 1, failureThreshold: 3 };

async function deployUnderLoad(strategy: DeploymentSpecInput) {
  const { project, environmentId, url } = await world.localEnvironment(strategy);
  const actor = actorFor(world.owner);
  const v1 = await world.localRelease(project, "1.0.1");
  const first = await requestDeployment(world.db, actor, { projectId: project.id, environmentId, releaseId: v1.id, overrides: { strategy: "rolling" } });
  expect(await waitForDeployment(world.db, first.id)).toMatchObject({ phase: "succeeded" });
  await waitForServing(url, "1.0.1");

  const load = new LoadGenerator(url, 50).start();
  const v2 = await world.localRelease(project, "1.0.2");
  const second = await requestDeployment(world.db, actor, { projectId: project.id, environmentId, releaseId: v2.id });
  const done = await waitForDeployment(world.db, second.id);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stats = await load.stop();
  const detail = await getDeployment(world.db, project.id, second.id);
  return { done, stats, project, detail };
}

describe("deploying v2 under load on the local target", { timeout: 60_000 }, () => {
  it("rolls instances in batches with zero failed requests", async () => {
    const { done, stats, detail } = await deployUnderLoad({ strategy: "rolling", replicas: 3, maxSurge: 1, maxUnavailable: 0, healthCheck: fastCheck });
    expect(done).toMatchObject({ phase: "succeeded", message: "1.0.2 is live" });
    expect(stats.failures).toEqual([]);
    expect(stats.ok).toBeGreaterThan(200);
    expect(stats.byBody["version 1.0.2"]).toBeGreaterThan(0);
    // The split moved in steps with the ready instances, never straight from one version to the other.
    expect(detail.trafficChanges.length).toBeGreaterThanOrEqual(3);
  });

  it("switches blue to green at once with zero failed requests", async () => {
    const { done, stats, detail } = await deployUnderLoad({ strategy: "blue-green", replicas: 2, scaleDownDelaySeconds: 1, healthCheck: fastCheck });
    expect(done.phase).toBe("succeeded");
    expect(stats.failures).toEqual([]);
    expect(detail.trafficChanges.map((e) => e.data)).toEqual([{ "1.0.2": 100 }]);
  });

  it("shifts traffic to a canary by steps, analyses it, and promotes it with zero failed requests", async () => {
    const { done, stats, detail } = await deployUnderLoad({
      strategy: "canary",
      replicas: 2,
      healthCheck: fastCheck,
      steps: [{ setWeight: 25 }, { pause: { durationSeconds: 1 } }, { setWeight: 50 }, { analysis: { windowSeconds: 2, minRequests: 20 } }],
    });
    expect(done.phase).toBe("succeeded");
    expect(stats.failures).toEqual([]);
    expect(detail.trafficChanges.map((e) => e.data)).toEqual([{ "1.0.1": 75, "1.0.2": 25 }, { "1.0.1": 50, "1.0.2": 50 }, { "1.0.2": 100 }]);
    expect(detail.analysis.at(-1)).toMatchObject({ data: { verdict: "pass" } });
  });
});

describe("the first deployment of an environment", { timeout: 60_000 }, () => {
  it("finishes a canary with an analysis step although nothing sends it traffic, saying the steps were skipped", async () => {
    const { project, environmentId, url } = await world.localEnvironment({
      strategy: "canary",
      replicas: 2,
      healthCheck: fastCheck,
      steps: [{ setWeight: 20 }, { analysis: { windowSeconds: 5, minRequests: 20 } }, { pause: {} }],
    });
    const v1 = await world.localRelease(project, "1.0.1");
    const deployment = await requestDeployment(world.db, actorFor(world.owner), { projectId: project.id, environmentId, releaseId: v1.id });
    expect(await waitForDeployment(world.db, deployment.id)).toMatchObject({ phase: "succeeded", message: "1.0.1 is live" });
    await waitForServing(url, "1.0.1");
    const detail = await getDeployment(world.db, project.id, deployment.id);
    expect(detail.events.find((e) => e.kind === "status" && e.message.startsWith(FIRST_DEPLOYMENT_NOTE))).toBeDefined();
    expect(detail.analysis).toEqual([]);
    expect(detail.trafficChanges.map((e) => e.data)).toEqual([{ "1.0.1": 100 }]);
  });
});
