import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connect } from "@/db/client";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { readRouterTraffic } from "@/workers/router/client";
import { startRouter } from "@/workers/router/router";
import { getDeployment, listDeployments, requestDeployment, signalDeployment } from "@/server/services/deployments";
import { actorFor } from "@/server/testing/fixtures";
import { LoadGenerator } from "./testing/load";
import { DeployWorld, waitForDeployment, waitForServing } from "./testing/harness";
import { startRelay, type Relay } from "./testing/relay";

/** Deployments outlive the worker that drives them and the router, and wait their turn. */
let world: DeployWorld;

beforeAll(async () => {
  world = await new DeployWorld(await createTestDatabase()).start();
});

afterAll(async () => {
  await world.stop();
  await world.t.close();
});

const fastCheck = { path: "/healthz", intervalSeconds: 1, failureThreshold: 3 };

async function live(strategy: Parameters<DeployWorld["localEnvironment"]>[0], extra = {}) {
  const env = await world.localEnvironment(strategy, extra);
  const actor = actorFor(world.owner);
  const v1 = await world.localRelease(env.project, "1.0.1");
  const first = await requestDeployment(world.db, actor, { projectId: env.project.id, environmentId: env.environmentId, releaseId: v1.id, overrides: { strategy: "rolling" } });
  expect(await waitForDeployment(world.db, first.id)).toMatchObject({ phase: "succeeded" });
  await waitForServing(env.url, "1.0.1");
  const deploy = async (version: string) => {
    const release = await world.localRelease(env.project, version);
    return requestDeployment(world.db, actor, { projectId: env.project.id, environmentId: env.environmentId, releaseId: release.id });
  };
  return { ...env, actor, deploy };
}

describe("a worker that dies mid-deployment", { timeout: 60_000 }, () => {
  it("is replaced by another worker, which resumes from the recorded step and completes it with zero failed requests", async () => {
    const env = await live({ strategy: "canary", replicas: 2, healthCheck: fastCheck, steps: [{ setWeight: 50 }, { pause: { durationSeconds: 2 } }] });
    const load = new LoadGenerator(env.url, 50).start();
    const deployment = await env.deploy("1.0.2");
    await waitForDeployment(world.db, deployment.id, (row) => row.phase === "paused");
    const firstWorker = world.deployer.drivers.get(deployment.id);
    expect(firstWorker).toBeDefined();
    await world.deployer.stop({ abandon: true });

    const second = await world.newDeployer();
    const done = await waitForDeployment(world.db, deployment.id);
    const stats = await load.stop();
    expect(done.phase).toBe("succeeded");
    expect(stats.failures).toEqual([]);
    const detail = await getDeployment(world.db, env.project.id, deployment.id);
    // The canary instance started by the first worker was kept, not started again.
    expect(detail.events.filter((e) => e.kind === "action" && e.message.startsWith("Start")).map((e) => e.message)).toEqual([
      "Start 1 instance of 1.0.2",
      "Start 1 instance of 1.0.2",
    ]);
    // It lets go once the instances it stopped are gone, which may be just after the deployment ended.
    await vi.waitFor(() => expect(second.drivers.size).toBe(0), { timeout: 10_000 });
    world.deployer = second;
  });

  it("keeps going through a router restart", async () => {
    const env = await live({ strategy: "rolling", replicas: 2, healthCheck: fastCheck });
    const deployment = await env.deploy("1.0.2");
    await waitForDeployment(world.db, deployment.id, (row) => row.phase === "progressing");
    await world.router!.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    world.router = await startRouter({ dataDir: world.dataDir, databaseUrl: world.t.url, listenHost: "127.0.0.1", rereadMs: 5_000 });
    expect(await waitForDeployment(world.db, deployment.id)).toMatchObject({ phase: "succeeded" });
    await waitForServing(env.url, "1.0.2");
  });
});

describe("one deployment at a time per environment", { timeout: 60_000 }, () => {
  it("queues later requests oldest first with their place in line, and starts each when the one before ends", async () => {
    const env = await live({ strategy: "canary", replicas: 1, healthCheck: fastCheck, steps: [{ setWeight: 50 }, { pause: {} }] });
    const a = await env.deploy("1.0.2");
    const b = await env.deploy("1.0.3");
    const c = await env.deploy("1.0.4");
    expect([a.phase, b.phase, c.phase]).toEqual(["pending", "queued", "queued"]);
    expect([a.position, b.position, c.position]).toEqual([null, 1, 2]);
    await waitForDeployment(world.db, a.id, (row) => row.phase === "paused");
    // Pausing for a person: only a person moves it on; the queue waits meanwhile.
    expect((await getDeployment(world.db, env.project.id, b.id)).position).toBe(1);
    await signalDeployment(world.db, env.actor, { projectId: env.project.id, deploymentId: a.id, type: "resume" });
    expect(await waitForDeployment(world.db, a.id)).toMatchObject({ phase: "succeeded" });
    await waitForDeployment(world.db, b.id, (row) => row.phase === "paused");
    expect((await getDeployment(world.db, env.project.id, c.id)).position).toBe(1);
    await signalDeployment(world.db, env.actor, { projectId: env.project.id, deploymentId: c.id, type: "abort" });
    await signalDeployment(world.db, env.actor, { projectId: env.project.id, deploymentId: b.id, type: "promoteNow" });
    expect(await waitForDeployment(world.db, b.id)).toMatchObject({ phase: "succeeded" });
    const listed = await listDeployments(world.db, env.project.id, env.environmentId);
    expect(listed.map((d) => [d.version, d.phase])).toEqual([
      ["1.0.4", "aborted"],
      ["1.0.3", "succeeded"],
      ["1.0.2", "succeeded"],
      ["1.0.1", "succeeded"],
    ]);
    await waitForServing(env.url, "1.0.3");
  });

  it("refuses a second deployment when the environment says so", async () => {
    const env = await live({ strategy: "canary", replicas: 1, healthCheck: fastCheck, steps: [{ setWeight: 50 }, { pause: {} }] }, { whenBusy: "refuse" });
    const a = await env.deploy("1.0.2");
    await expect(env.deploy("1.0.3")).rejects.toThrow(/in progress, and development refuses new ones until it ends/);
    await signalDeployment(world.db, env.actor, { projectId: env.project.id, deploymentId: a.id, type: "abort" });
    expect(await waitForDeployment(world.db, a.id)).toMatchObject({ phase: "aborted", reason: `Aborted by ${env.actor.label}` });
    await waitForServing(env.url, "1.0.1");
  });
});

describe("the database going away mid-deployment", { timeout: 90_000 }, () => {
  /** A world of its own whose every connection (router, deployer, pg-boss) goes through a relay the test cuts. */
  let outage: DeployWorld;
  let direct: TestDatabase;
  let relay: Relay;

  beforeAll(async () => {
    direct = await createTestDatabase();
    relay = await startRelay(direct.url);
    const { db, sql } = connect(relay.url, 5);
    // Connections the cut left half-open would hold an unbounded end() up for a long time.
    outage = await new DeployWorld({ db, url: relay.url, close: () => sql.end({ timeout: 1 }) }).start();
  });

  afterAll(async () => {
    await relay.restore();
    await outage.stop();
    await outage.t.close();
    await relay.close();
    await direct.close();
  });

  it("leaves the router serving the last good split, also across its restart, and the deployment carries on once it is back", async () => {
    const env = await outage.localEnvironment({ strategy: "canary", replicas: 2, healthCheck: fastCheck, steps: [{ setWeight: 50 }, { pause: {} }] });
    const actor = actorFor(outage.owner);
    const v1 = await outage.localRelease(env.project, "1.0.1");
    const first = await requestDeployment(outage.db, actor, { projectId: env.project.id, environmentId: env.environmentId, releaseId: v1.id, overrides: { strategy: "rolling" } });
    expect(await waitForDeployment(outage.db, first.id)).toMatchObject({ phase: "succeeded" });
    const v2 = await outage.localRelease(env.project, "1.0.2");
    const deployment = await requestDeployment(outage.db, actor, { projectId: env.project.id, environmentId: env.environmentId, releaseId: v2.id });
    await waitForDeployment(direct.db, deployment.id, (row) => row.phase === "paused");
    const split = { "1.0.1": 50, "1.0.2": 50 };
    expect(await readRouterTraffic(outage.routerUrl, env.environmentId)).toEqual(split);

    await relay.cut();
    await outage.router!.reload();
    expect(outage.router!.status.databaseError).not.toBeNull();
    // Long enough for the worker to lose its lease and its driver to give up.
    const during = new LoadGenerator(env.url, 20).start();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const duringStats = await during.stop();
    expect(duringStats.failures).toEqual([]);
    expect(Object.keys(duringStats.byBody).sort()).toEqual(["version 1.0.1", "version 1.0.2"]);
    expect(duringStats.byBody["version 1.0.1"]).toBeGreaterThan(duringStats.ok / 4);

    // A router that restarts while the database is still away serves the saved split at once.
    await outage.router!.close();
    outage.router = await startRouter({ dataDir: outage.dataDir, databaseUrl: relay.url, listenHost: "127.0.0.1", rereadMs: 500 });
    expect(outage.router.status.source).toBe("file");
    expect(await readRouterTraffic(outage.routerUrl, env.environmentId)).toEqual(split);
    const afterRestart = new LoadGenerator(env.url, 20).start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await relay.restore();
    // Back: another pass of the sweep takes the deployment up again, and a person can move it on.
    await signalDeployment(direct.db, actor, { projectId: env.project.id, deploymentId: deployment.id, type: "resume" });
    expect(await waitForDeployment(direct.db, deployment.id)).toMatchObject({ phase: "succeeded" });
    await waitForServing(env.url, "1.0.2");
    const afterStats = await afterRestart.stop();
    expect(afterStats.failures).toEqual([]);
    expect(outage.router.status).toMatchObject({ source: "database", databaseError: null });
  });
});
