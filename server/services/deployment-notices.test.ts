import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deployments, notificationDeliveries, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import type { DeploymentState, ReconcileResult } from "@/server/deploy";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { markLive, seedReleases } from "@/workers/deployer/testing/seed";
import { claimDeployment, recordPass } from "./deploy-driver";
import { requestDeployment, rollbackEnvironment } from "./deployments";
import { EMAIL_QUEUE } from "./email";
import { createHook } from "./notifications";

/**
 * A deployment's start and end reach the project's hooks (once each, not on the passes
 * between), and its failure or rollback is emailed to the person who asked for it. The
 * worker's passes are recorded here as the deployer records them, without targets.
 */
let t: TestDatabase;
let admin: User;
let developer: User;
const key = randomBytes(32);

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await createUser(t.db, { isAdmin: true });
  developer = await createUser(t.db);
  vi.stubEnv("SLIPWAY_SMTP_URL", "smtp://127.0.0.1:2525");
  vi.stubEnv("SLIPWAY_SMTP_FROM", "slipway@example.test");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
});

async function world() {
  const project = await createProjectAs(t.db, admin);
  const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
  const staging = envs[1];
  const [v1, v2] = await seedReleases(t.db, actorFor(admin), project.id, [staging.id], ["1.0.1", "1.0.2"]);
  await markLive(t.db, { projectId: project.id, environmentId: staging.id, releaseId: v1.id });
  // Hooks need project addresses that are public; nothing is sent in these tests.
  await createHook(t.db, key, actorFor(admin), admin, { projectId: project.id, name: "chat", url: "https://93.184.216.34/hook", format: "generic", events: ["deployment.*"] });
  return { project, staging, v1, v2 };
}

/** One reconcile pass ending in `phase`, as the deployer records it. */
async function pass(deploymentId: string, phase: DeploymentState["phase"], message: string, actions: ReconcileResult["actions"] = []) {
  const context = await claimDeployment(t.db, deploymentId, "driver-1", 60_000);
  const state = { ...context!.state, phase, rollback: phase === "rolled_back" ? { reason: "health check failed", byPerson: false } : null };
  await recordPass(t.db, {
    deploymentId,
    driverId: "driver-1",
    leaseMs: 60_000,
    result: { state, actions, status: { phase, message, step: null, reason: state.rollback?.reason ?? null } },
    traffic: {},
    health: {},
    smokeTest: null,
    events: [],
    notify: true,
  });
}

const delivered = async (projectId: string) =>
  (await t.db.select().from(notificationDeliveries).orderBy(notificationDeliveries.id)).filter((d) => (d.payload as { project: { id: string } }).project.id === projectId).map((d) => [d.event, (d.payload as { summary: string }).summary]);

const emails = async () => (await t.db.execute<{ data: { to: string; subject: string } }>(sql`select data from pgboss.job where name = ${EMAIL_QUEUE} order by created_on`)).map((r) => r.data);

describe("deployment notifications", () => {
  it("say when it starts and when its release is live, once each", async () => {
    const { project, staging, v2 } = await world();
    const row = await requestDeployment(t.db, actorFor(developer), { projectId: project.id, environmentId: staging.id, releaseId: v2.id });
    await pass(row.id, "progressing", "Starting 1.0.2");
    await pass(row.id, "progressing", "Traffic 50%");
    await pass(row.id, "succeeded", "1.0.2 is live", [{ type: "markSucceeded" }]);
    expect(await delivered(project.id)).toEqual([
      ["deployment.started", `1.0.2 to ${staging.name} started, asked by ${developer.email}`],
      ["deployment.succeeded", `1.0.2 is live in ${staging.name}`],
    ]);
    const [payload] = (await t.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.event, "deployment.succeeded"))).map((d) => d.payload as { path: string });
    expect(payload.path).toBe(`/projects/${project.slug}/deployments/${row.id}`);
  });

  it("say it was rolled back after a failed check, and email the person who asked for it", async () => {
    const { project, staging, v2 } = await world();
    const before = (await emails()).length;
    const row = await requestDeployment(t.db, actorFor(developer), { projectId: project.id, environmentId: staging.id, releaseId: v2.id });
    await pass(row.id, "progressing", "Starting 1.0.2");
    await pass(row.id, "rolled_back", "Rolled back to 1.0.1: health check failed", [{ type: "markFailed", reason: "health check failed" }]);
    expect((await delivered(project.id)).at(-1)).toEqual(["deployment.rolled_back", `1.0.2 to ${staging.name} was rolled back automatically. Rolled back to 1.0.1: health check failed`]);
    expect((await emails()).slice(before)).toEqual([
      expect.objectContaining({ to: developer.email, subject: `[${project.name}] 1.0.2 to ${staging.name} was rolled back automatically. Rolled back to 1.0.1: health check failed` }),
    ]);
  });

  it("say a failure with nothing to return to failed, and a rollback by hand rolled the environment back", async () => {
    const { project, staging, v1, v2 } = await world();
    const row = await requestDeployment(t.db, actorFor(developer), { projectId: project.id, environmentId: staging.id, releaseId: v2.id });
    await pass(row.id, "failed", "Failed: no instance became ready", [{ type: "markFailed", reason: "no instance became ready" }]);
    expect((await delivered(project.id)).at(-1)).toEqual(["deployment.failed", `1.0.2 to ${staging.name} failed: no instance became ready`]);
    expect((await emails()).at(-1)).toMatchObject({ to: developer.email });

    await t.db.update(deployments).set({ phase: "succeeded" }).where(eq(deployments.id, row.id));
    const before = (await emails()).length;
    const back = await rollbackEnvironment(t.db, actorFor(admin), { projectId: project.id, environmentId: staging.id, toReleaseId: v1.id });
    await pass(back.id, "succeeded", "1.0.1 is live", [{ type: "markSucceeded" }]);
    expect((await delivered(project.id)).slice(-2)).toEqual([
      ["deployment.started", `Rollback of ${staging.name} to 1.0.1 started, asked by ${admin.email}`],
      ["deployment.rolled_back", `${staging.name} was rolled back to 1.0.1 by ${admin.email}`],
    ]);
    // The person who rolled back by hand is not emailed about it.
    expect((await emails()).length).toBe(before);
  });
});
