import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@/db/testing/database";
import type { DeploymentSpecInput } from "@/server/deploy";
import { freePort } from "@/server/config/ports";
import { requestDeployment } from "@/server/services/deployments";
import { setTargetSettings } from "@/server/services/targets-config";
import { actorFor, createProjectAs } from "@/server/testing/fixtures";
import { probeDocker, requireDockerOrSkip } from "@/workers/executors/testing/docker-engine";
import { LABELS } from "@/workers/targets/docker";
import { dockerRelease } from "./testing/docker-releases";
import { DeployWorld, waitForDeployment } from "./testing/harness";
import { LoadGenerator } from "./testing/load";

const probe = await probeDocker();
requireDockerOrSkip(probe, "deployments on the docker target");

/** The strategies with real containers of offline-built images, under load through the router. */
describe.skipIf(!probe.ok)("deploying on the docker target (real engine)", { timeout: 60_000 }, () => {
  const docker = (probe as { docker: Docker }).docker;
  let world: DeployWorld;
  const environments: string[] = [];

  beforeAll(async () => {
    world = await new DeployWorld(await createTestDatabase()).start({ docker });
  });

  afterAll(async () => {
    await world.stop();
    await world.t.close();
    for (const environmentId of environments) {
      const left = await docker.listContainers({ all: true, filters: { label: [`${LABELS.environment}=${environmentId}`] } });
      await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    }
  });

  const check = { path: "/healthz", intervalSeconds: 1, failureThreshold: 2 };

  async function deploy(strategy: DeploymentSpecInput, next: { healthy?: boolean; failRequests?: boolean } = {}) {
    const project = await createProjectAs(world.db, world.owner);
    const [env] = await world.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id) });
    environments.push(env.id);
    const listenPort = await freePort();
    const actor = actorFor(world.owner);
    await setTargetSettings(world.db, actor, {
      projectId: project.id,
      environmentId: env.id,
      settings: { target: { kind: "docker", listenPort, stopTimeoutSeconds: 1 }, strategy },
    });
    const v1 = await dockerRelease(world.db, docker, world.owner, project, "1.0.1");
    const first = await requestDeployment(world.db, actor, { projectId: project.id, environmentId: env.id, releaseId: v1.id, overrides: { strategy: "rolling" } });
    expect(await waitForDeployment(world.db, first.id)).toMatchObject({ phase: "succeeded" });
    const load = new LoadGenerator(`http://127.0.0.1:${listenPort}/`, 50).start();
    const v2 = await dockerRelease(world.db, docker, world.owner, project, "1.0.2", next);
    const second = await requestDeployment(world.db, actor, { projectId: project.id, environmentId: env.id, releaseId: v2.id });
    const done = await waitForDeployment(world.db, second.id);
    return { done, stats: await load.stop() };
  }

  it("rolls containers with zero failed requests", async () => {
    const { done, stats } = await deploy({ strategy: "rolling", replicas: 2, maxSurge: 1, maxUnavailable: 0, healthCheck: check });
    expect(done.phase).toBe("succeeded");
    expect(stats.failures).toEqual([]);
    expect(Object.keys(stats.byBody).some((body) => body.includes("version 1.0.2"))).toBe(true);
  });

  it("switches blue-green containers with zero failed requests", async () => {
    const { done, stats } = await deploy({ strategy: "blue-green", replicas: 2, scaleDownDelaySeconds: 0, healthCheck: check });
    expect(done.phase).toBe("succeeded");
    expect(stats.failures).toEqual([]);
  });

  it("promotes a canary of containers with zero failed requests", async () => {
    const steps = [{ setWeight: 50 }, { analysis: { windowSeconds: 2, minRequests: 10 } }];
    const { done, stats } = await deploy({ strategy: "canary", replicas: 2, healthCheck: check, steps });
    expect(done.phase).toBe("succeeded");
    expect(stats.failures).toEqual([]);
  });

  it("rolls back containers that never pass their health check, with zero failed requests", async () => {
    const { done, stats } = await deploy({ strategy: "rolling", replicas: 2, maxSurge: 1, maxUnavailable: 0, healthCheck: check }, { healthy: false });
    expect(done.phase).toBe("rolled_back");
    expect(done.reason).toMatch(/failed its health check/);
    expect(stats.failures).toEqual([]);
  });
});
