import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deployments, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { startBoss } from "@/server/queue/boss";
import { requestDeployment } from "@/server/services/deployments";
import { GOVERNANCE_QUEUE } from "@/server/services/governance-gate";
import { addFreezeWindow, removeFreezeWindow, setProtectionRules } from "@/server/services/governance-rules";
import { createHook, emitNotification } from "@/server/services/notifications";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { seedReleases } from "@/workers/deployer/testing/seed";
import { registerGovernance } from "./governance";

/** The worker side: queue messages re-judge held deployments; the sweep expires requests. */
let t: TestDatabase;
let owner: User;
let boss: Awaited<ReturnType<typeof startBoss>>;
let listen: postgres.Sql;
let governance: Awaited<ReturnType<typeof registerGovernance>>;
const secretsKey = randomBytes(32);

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  boss = await startBoss(t.url);
  listen = postgres(t.url, { max: 1, onnotice: () => undefined });
  // A long sweep interval: these tests show the message path, then call the sweep themselves.
  governance = await registerGovernance(boss, t.db, { listen, sweepMs: 3_600_000, secretsKey, baseUrl: "https://slipway.example.test" });
});

afterAll(async () => {
  await governance.stop();
  await boss.stop({ graceful: false, wait: true });
  await listen.end();
  await t.close();
});

async function heldProduction(setup: (projectId: string, environmentId: string) => Promise<unknown>) {
  const project = await createProjectAs(t.db, owner);
  const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
  const [release] = await seedReleases(t.db, actorFor(owner), project.id, [envs[2].id], ["1.0.1"]);
  await setup(project.id, envs[2].id);
  const held = await requestDeployment(t.db, actorFor(owner), { projectId: project.id, environmentId: envs[2].id, releaseId: release.id });
  expect(held.phase).toBe("queued");
  return { project, held };
}

const phase = async (id: string) => (await t.db.select().from(deployments).where(eq(deployments.id, id)))[0].phase;

describe("the governance worker", () => {
  it("re-judges a held deployment when its wake-up message arrives, and starts it once nothing holds it", async () => {
    let windowId = "";
    const { project, held } = await heldProduction(async (projectId, environmentId) => {
      const window = await addFreezeWindow(t.db, actorFor(owner), { projectId, environmentId, window: { kind: "once", name: "Freeze", startsAt: new Date(Date.now() - 60_000), endsAt: new Date(Date.now() + 3_600_000) } });
      windowId = window.id;
    });
    await removeFreezeWindow(t.db, actorFor(owner), { projectId: project.id, freezeWindowId: windowId });
    expect(await phase(held.id)).toBe("queued");
    // What the delayed message sent at the hold does when it comes due.
    await boss.send(GOVERNANCE_QUEUE, { deploymentId: held.id });
    await vi.waitFor(async () => expect(await phase(held.id)).toBe("pending"), { timeout: 20_000, interval: 100 });
  });

  it("expires requests in its sweep", async () => {
    const { held } = await heldProduction((projectId, environmentId) =>
      setProtectionRules(t.db, actorFor(owner), { projectId, environmentId, rules: { stages: [{ name: "RM", count: 1, approvers: { roles: ["admin"] } }], approvalExpiryHours: 1 } }),
    );
    await t.db.execute(`update approval_requests set expires_at = now() - interval '1 minute' where status = 'pending'`);
    await governance.sweep();
    expect(await phase(held.id)).toBe("aborted");
  });

  it("sends a webhook as soon as its event is recorded", async () => {
    const bodies: string[] = [];
    const receiver = http.createServer((request, response) => {
      let body = "";
      request.on("data", (c) => (body += c));
      request.on("end", () => {
        bodies.push(body);
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const admin = await createUser(t.db, { isAdmin: true });
      const project = await createProjectAs(t.db, admin);
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
      await createHook(t.db, secretsKey, actorFor(admin), admin, { projectId: project.id, name: "local", url, format: "generic", events: ["run.*"], allowPrivate: true });
      await emitNotification(t.db, { projectId: project.id, event: "run.failed", summary: "Run #1 failed", path: "/projects/{slug}/runs/1" });
      await vi.waitFor(() => expect(bodies).toHaveLength(1), { timeout: 20_000, interval: 50 });
      expect(JSON.parse(bodies[0])).toMatchObject({ event: "run.failed", url: `https://slipway.example.test/projects/${project.slug}/runs/1` });
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
