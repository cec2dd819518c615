import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { seedReleases } from "@/workers/deployer/testing/seed";
import { DEPLOYMENT_CHANNEL } from "./deploy-driver";
import { requestDeployment, signalDeployment } from "./deployments";
import { DEPLOYMENTS_CHANNEL, LiveEvents, type DeploymentChange } from "./live-events";

/** Deployment changes reach the web process's subscribers: a deployment page (one id) and a project's board (all ids). */
let t: TestDatabase;
let hub: LiveEvents | null = null;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterEach(async () => {
  await hub?.close();
  hub = null;
});

afterAll(async () => {
  await t.close();
});

async function eventually(check: () => void, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const changed = (events: DeploymentChange[]) => events.filter((e) => e.kind === "changed").map((e) => (e as { deploymentId: string }).deploymentId);

describe("deployment changes", () => {
  it("listen on the channel the workers announce on", () => {
    expect(DEPLOYMENTS_CHANNEL).toBe(DEPLOYMENT_CHANNEL);
  });

  it("reach the subscribers of that deployment, and those of every deployment with its id", async () => {
    hub = new LiveEvents(t.url);
    const one: DeploymentChange[] = [];
    const all: DeploymentChange[] = [];
    const a = "00000000-0000-4000-8000-0000000000d1";
    const b = "00000000-0000-4000-8000-0000000000d2";
    hub.subscribeDeployment(a, (e) => void one.push(e));
    hub.subscribeAllDeployments((e) => void all.push(e));
    await hub.ready();
    await t.db.$client`select pg_notify(${DEPLOYMENTS_CHANNEL}, ${a})`;
    await t.db.$client`select pg_notify(${DEPLOYMENTS_CHANNEL}, ${b})`;
    await eventually(() => expect(changed(all)).toEqual([a, b]));
    expect(changed(one)).toEqual([a]);
  });

  it("are announced when a deployment is asked for, joins the line, and when one in line is cancelled", async () => {
    const owner = await createUser(t.db);
    const project = await createProjectAs(t.db, owner);
    const [env] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
    const [first, second] = await seedReleases(t.db, actorFor(owner), project.id, [env.id]);
    hub = new LiveEvents(t.url);
    const all: DeploymentChange[] = [];
    hub.subscribeAllDeployments((e) => void all.push(e));
    await hub.ready();

    const running = await requestDeployment(t.db, actorFor(owner), { projectId: project.id, environmentId: env.id, releaseId: first.id });
    const waiting = await requestDeployment(t.db, actorFor(owner), { projectId: project.id, environmentId: env.id, releaseId: second.id });
    expect([running.phase, waiting.phase]).toEqual(["pending", "queued"]);
    await eventually(() => expect(changed(all)).toEqual([running.id, waiting.id]));

    await signalDeployment(t.db, actorFor(owner), { projectId: project.id, deploymentId: waiting.id, type: "abort" });
    await signalDeployment(t.db, actorFor(owner), { projectId: project.id, deploymentId: running.id, type: "pause" });
    await eventually(() => expect(changed(all)).toEqual([running.id, waiting.id, waiting.id, running.id]));
  });
});
