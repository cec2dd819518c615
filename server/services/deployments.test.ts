import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, deployments, type Environment, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { deploymentSpecSchema } from "@/server/deploy";
import { actorFor, createProjectAs, createUser, rejectionOf } from "@/server/testing/fixtures";
import { markLive, seedReleases, uniqueListenPort } from "@/workers/deployer/testing/seed";
import { readSignals } from "./deploy-driver";
import { getDeployment, promoteRelease, requestDeployment, rollbackEnvironment, signalDeployment } from "./deployments";
import { InvalidInputError } from "./errors";
import { setSecret } from "./secrets";
import { getTargetSettings, loadDeploymentEnv, resolveDeploymentSpec, setTargetSettings } from "./targets-config";

/** The deployment services without a worker: what is recorded, refused, queued and audited. */
let t: TestDatabase;
let owner: User;

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
});

afterAll(async () => {
  await t.close();
});

async function projectWithReleases(): Promise<{ project: Project; envs: Environment[]; releases: Awaited<ReturnType<typeof seedReleases>> }> {
  const project = await createProjectAs(t.db, owner);
  const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
  const releases = await seedReleases(t.db, actorFor(owner), project.id, envs.map((e) => e.id), ["1.0.1", "1.0.2", "1.0.3"]);
  return { project, envs, releases };
}

describe("environment target settings", () => {
  it("are validated on save, naming the field, and audited", async () => {
    const project = await createProjectAs(t.db, owner);
    const [env] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id) });
    expect(await getTargetSettings(t.db, project.id, env.id)).toBeNull();
    const save = (settings: unknown) => setTargetSettings(t.db, actorFor(owner), { projectId: project.id, environmentId: env.id, settings: settings as never });
    const missing = (await rejectionOf(save({ target: { kind: "docker" } }))) as InvalidInputError;
    expect([missing.message, missing.field]).toEqual(["listenPort must be a port number", "settings.target.listenPort"]);
    expect(((await rejectionOf(save({ target: { kind: "kubernetes", namespace: "Shop", deployment: "web", kubeconfigSecret: "K" } }))) as Error).message).toMatch(/^namespace uses lowercase letters/);
    expect(((await rejectionOf(save({ target: { kind: "local", command: [], listenPort: 20001 } }))) as Error).message).toMatch(/command needs at least a program/);
    const saved = await save({ target: { kind: "docker", listenPort: uniqueListenPort() }, strategy: { strategy: "canary", steps: [{ setWeight: 10 }] } });
    expect(saved).toMatchObject({ target: { kind: "docker", port: 8080, stopTimeoutSeconds: 10 }, strategy: { replicas: 1, healthCheck: { path: "/" } }, whenBusy: "queue" });
    const [audit] = await t.db.select().from(auditEvents).where(eq(auditEvents.action, "environment.target.set")).orderBy(auditEvents.seq);
    expect(audit).toMatchObject({ objectId: env.id, before: null, after: expect.objectContaining({ whenBusy: "queue" }) });
  });

  it("refuse a router port another environment serves on", async () => {
    const project = await createProjectAs(t.db, owner);
    const [a, b] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
    const port = uniqueListenPort();
    const settings = { target: { kind: "local" as const, command: ["node", "app.js"], listenPort: port } };
    await setTargetSettings(t.db, actorFor(owner), { projectId: project.id, environmentId: a.id, settings });
    await expect(setTargetSettings(t.db, actorFor(owner), { projectId: project.id, environmentId: b.id, settings })).rejects.toThrow(`Port ${port} already serves the environment "development"`);
  });

  it("merge a deployment's overrides over the defaults, keeping only replicas, health check and warm-up across strategies", () => {
    const defaults = deploymentSpecSchema.parse({ strategy: "rolling", replicas: 4, maxSurge: 2, healthCheck: { path: "/ready", intervalSeconds: 2 }, warmUp: { path: "/" } });
    expect(resolveDeploymentSpec(defaults, { maxSurge: 1 })).toMatchObject({ strategy: "rolling", replicas: 4, maxSurge: 1 });
    expect(resolveDeploymentSpec(defaults, { strategy: "blue-green", healthCheck: { path: "/healthz" }, warmUp: { requests: 50 } })).toEqual({
      strategy: "blue-green",
      replicas: 4,
      healthCheck: { ...defaults.healthCheck, path: "/healthz" },
      warmUp: { path: "/", requests: 50 },
      autoPromote: true,
      previewChecks: [],
      scaleDownDelaySeconds: 30,
    });
    expect(() => resolveDeploymentSpec(defaults, { strategy: "canary" })).toThrow("The deploy settings are not valid: steps: Invalid input: expected array, received undefined");
  });
});

describe("deployment requests", () => {
  it("queue behind the running one oldest first, refuse a live release, and need a target", async () => {
    const { project, envs, releases } = await projectWithReleases();
    const actor = actorFor(owner);
    const ask = (releaseId: string, environmentId = envs[0].id) => requestDeployment(t.db, actor, { projectId: project.id, environmentId, releaseId });
    const first = await ask(releases[0].id);
    const second = await ask(releases[1].id);
    const third = await ask(releases[2].id);
    expect([first.phase, first.position, second.phase, second.position, third.position]).toEqual(["pending", null, "queued", 1, 2]);
    expect((await getDeployment(t.db, project.id, third.id)).position).toBe(2);
    // Aborting one in line cancels it at once; the next moves up.
    await signalDeployment(t.db, actor, { projectId: project.id, deploymentId: second.id, type: "abort" });
    expect(await getDeployment(t.db, project.id, second.id)).toMatchObject({ phase: "aborted", reason: `Cancelled by ${actor.label} before it started` });
    expect((await getDeployment(t.db, project.id, third.id)).position).toBe(1);

    await markLive(t.db, { projectId: project.id, environmentId: envs[1].id, releaseId: releases[0].id });
    await expect(ask(releases[0].id, envs[1].id)).rejects.toThrow("1.0.1 is already live in staging.");
    const other = await createProjectAs(t.db, owner);
    const [bare] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, other.id) });
    const [release] = await seedReleases(t.db, actor, other.id, [], ["9.9.9"]);
    await expect(requestDeployment(t.db, actor, { projectId: other.id, environmentId: bare.id, releaseId: release.id })).rejects.toThrow(/has no target yet/);
  });

  it("record people's signals in order, audited, and refuse them once it ended", async () => {
    const { project, envs, releases } = await projectWithReleases();
    const actor = actorFor(owner);
    const running = await requestDeployment(t.db, actor, { projectId: project.id, environmentId: envs[0].id, releaseId: releases[0].id });
    await signalDeployment(t.db, actor, { projectId: project.id, deploymentId: running.id, type: "pause" });
    await signalDeployment(t.db, actor, { projectId: project.id, deploymentId: running.id, type: "resume" });
    expect(await readSignals(t.db, running.id)).toEqual([
      { seq: 1, type: "pause", by: actor.label },
      { seq: 2, type: "resume", by: actor.label },
    ]);
    const audited = await t.db.select().from(auditEvents).where(eq(auditEvents.objectId, running.id)).orderBy(auditEvents.seq);
    expect(audited.map((a) => a.action)).toEqual(["deployment.create", "deployment.pause", "deployment.resume"]);
    await t.db.update(deployments).set({ phase: "succeeded" }).where(eq(deployments.id, running.id));
    await expect(signalDeployment(t.db, actor, { projectId: project.id, deploymentId: running.id, type: "abort" })).rejects.toThrow("This deployment has already ended (succeeded).");
  });
});

describe("promotion and rollback", () => {
  it("promote a release that succeeded to the next environment in promotion order, and no further than the last", async () => {
    const { project, envs, releases } = await projectWithReleases();
    const actor = actorFor(owner);
    await expect(promoteRelease(t.db, actor, { projectId: project.id, releaseId: releases[0].id, fromEnvironmentId: envs[0].id })).rejects.toThrow(
      "1.0.1 has not been deployed successfully to development, so it cannot be promoted from there.",
    );
    await markLive(t.db, { projectId: project.id, environmentId: envs[0].id, releaseId: releases[0].id });
    const promoted = await promoteRelease(t.db, actor, { projectId: project.id, releaseId: releases[0].id, fromEnvironmentId: envs[0].id });
    expect(promoted).toMatchObject({ kind: "promotion", environmentId: envs[1].id, phase: "pending" });
    await markLive(t.db, { projectId: project.id, environmentId: envs[2].id, releaseId: releases[1].id });
    await expect(promoteRelease(t.db, actor, { projectId: project.id, releaseId: releases[1].id, fromEnvironmentId: envs[2].id })).rejects.toThrow(/production is the last environment/);
  });

  it("roll back to the release before the current one (or any earlier one) as a blue-green deployment", async () => {
    const { project, envs, releases } = await projectWithReleases();
    const actor = actorFor(owner);
    const env = envs[0].id;
    await expect(rollbackEnvironment(t.db, actor, { projectId: project.id, environmentId: env })).rejects.toThrow(/Nothing has been deployed to development yet/);
    await markLive(t.db, { projectId: project.id, environmentId: env, releaseId: releases[0].id });
    await expect(rollbackEnvironment(t.db, actor, { projectId: project.id, environmentId: env })).rejects.toThrow("development has no earlier release than 1.0.1 to roll back to.");
    await markLive(t.db, { projectId: project.id, environmentId: env, releaseId: releases[1].id });
    await markLive(t.db, { projectId: project.id, environmentId: env, releaseId: releases[2].id });
    const back = await rollbackEnvironment(t.db, actor, { projectId: project.id, environmentId: env });
    expect(back).toMatchObject({ kind: "rollback", releaseId: releases[1].id, spec: { strategy: "blue-green", scaleDownDelaySeconds: 0 } });
    await expect(rollbackEnvironment(t.db, actor, { projectId: project.id, environmentId: env, toReleaseId: releases[0].id })).rejects.toThrow(/in progress; abort it/);
    await t.db.update(deployments).set({ phase: "aborted" }).where(eq(deployments.id, back.id));
    const further = await rollbackEnvironment(t.db, actor, { projectId: project.id, environmentId: env, toReleaseId: releases[0].id });
    expect((await getDeployment(t.db, project.id, further.id)).release.version).toBe("1.0.1");
  });
});

describe("what instances get", () => {
  it("are the environment's variables and the decrypted secrets, the environment's winning, with the read audited", async () => {
    const key = randomBytes(32);
    const project = await createProjectAs(t.db, owner);
    const [env] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id) });
    const actor = actorFor(owner);
    await setSecret(t.db, key, actor, { projectId: project.id, name: "TOKEN", value: "project-wide" });
    await setSecret(t.db, key, actor, { projectId: project.id, environmentId: env.id, name: "TOKEN", value: "for-development" });
    const deploymentId = crypto.randomUUID();
    const loaded = await loadDeploymentEnv(t.db, key, actor, { projectId: project.id, environmentId: env.id, deploymentId });
    expect(loaded.secrets).toEqual({ TOKEN: "for-development" });
    const [audit] = await t.db.select().from(auditEvents).where(eq(auditEvents.objectId, deploymentId));
    expect(audit).toMatchObject({ action: "secret.read", after: { names: ["TOKEN"] } });
    expect((await loadDeploymentEnv(t.db, null, actor, { projectId: project.id, environmentId: env.id, deploymentId })).secrets).toEqual({});
  });
});
