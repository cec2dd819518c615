import { readFile } from "node:fs/promises";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environments, jobs, projects, releases, type Project, type User } from "@/db/schema";
import { createTestDatabase } from "@/db/testing/database";
import { freePort } from "@/server/config/ports";
import { parsePipeline } from "@/server/pipeline";
import { startTestEngine, waitForRun, type EngineHarness } from "@/server/testing/engine-harness";
import { actorFor, createUser } from "@/server/testing/fixtures";
import { DeployWorld, waitForDeployment } from "@/workers/deployer/testing/harness";
import { ensureDemoProject } from "./demo";
import { deploymentBoard } from "./deployment-board";
import { getDeployment, promoteRelease, signalDeployment } from "./deployments";
import { startManualRun } from "./manual-runs";
import { currentRelease } from "./releases";
import { getTargetSettings } from "./targets-config";

/**
 * The demo project a fresh Slipway creates: a repository whose pipeline builds the app and
 * deploys it to development, and environments that run it on this machine behind the router.
 * Here a newcomer's first steps run for real: the pipeline on the job engine, the deployments
 * on the deployer and the router, promotion to staging and to production as a canary.
 */
let world: DeployWorld;
let engine: EngineHarness;
let admin: User;
let ports: number[];

beforeAll(async () => {
  world = await new DeployWorld(await createTestDatabase()).start();
  engine = await startTestEngine(world.db, world.t.url, world.dataDir);
  admin = await createUser(world.db, { email: "admin@demo.test", isAdmin: true });
  ports = [await freePort(), await freePort(), await freePort()];
});

afterAll(async () => {
  await engine?.stop();
  await world?.stop();
  await world?.t.close();
});

async function demoProject(): Promise<Project> {
  const [project] = await world.db.select().from(projects).where(eq(projects.slug, "demo"));
  return project;
}

async function environmentsOf(projectId: string) {
  const rows = await world.db.select().from(environments).where(eq(environments.projectId, projectId));
  return Object.fromEntries(rows.map((e) => [e.name, e]));
}

const served = (port: number) => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());

describe("the demo project", () => {
  it("is created once, with a pipeline that deploys to development and a local target for every environment", async () => {
    const first = await ensureDemoProject(world.db, world.dataDir, { ports });
    expect(first).toEqual({ created: true, slug: "demo" });
    expect(await ensureDemoProject(world.db, world.dataDir, { ports })).toEqual({ created: false, slug: "demo" });

    const project = await demoProject();
    const yaml = await readFile(path.join(world.dataDir, "repos", "demo", ".slipway.yml"), "utf8");
    const parsed = parsePipeline(yaml);
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join("\n"));
    expect(parsed.pipeline.jobs.deploy).toMatchObject({ needs: ["build"], environment: { name: "development" }, deploy: { artifact: "app", strategy: "rolling" } });

    const envs = await environmentsOf(project.id);
    const target = async (name: string) => (await getTargetSettings(world.db, project.id, envs[name].id))!.settings;
    expect(await target("development")).toMatchObject({ target: { kind: "local", command: ["node", "server.js"], listenPort: ports[0] }, strategy: { strategy: "rolling", replicas: 2 } });
    expect(await target("staging")).toMatchObject({ target: { kind: "local", listenPort: ports[1] }, strategy: { strategy: "blue-green" } });
    expect(await target("production")).toMatchObject({ target: { kind: "local", listenPort: ports[2] }, strategy: { strategy: "canary", steps: [{ setWeight: 20 }, expect.anything(), { setWeight: 50 }, expect.anything()] } });
  });

  it("deploys a newcomer's runs to development, and promotes them to staging and, as a canary, to production", async () => {
    const project = await demoProject();
    const envs = await environmentsOf(project.id);

    /** Run pipeline, as the button does: the repository's pipeline at the head of main; returns the release it made. */
    const runPipeline = async () => {
      const run = await startManualRun(world.db, actorFor(admin), { project, inputs: {}, dataDir: world.dataDir, viaApi: false });
      const finished = await waitForRun(world.db, run.id, undefined, 120_000);
      const ran = await world.db.select({ key: jobs.key, status: jobs.status, reason: jobs.reason }).from(jobs).where(eq(jobs.runId, run.id));
      expect(finished.status, JSON.stringify(ran)).toBe("succeeded");
      expect(Object.fromEntries(ran.map((j) => [j.key, j.status]))).toEqual({ test: "succeeded", lint: "succeeded", build: "succeeded", deploy: "succeeded" });
      const [release] = await world.db.select().from(releases).where(eq(releases.runId, run.id));
      expect(release).toMatchObject({ version: `1.0.${run.number}`, artifactName: "app" });
      return release;
    };
    const promote = async (releaseId: string, from: string) => {
      const deployment = await promoteRelease(world.db, actorFor(admin), { projectId: project.id, releaseId, fromEnvironmentId: envs[from].id });
      expect(deployment.kind).toBe("promotion");
      return deployment;
    };

    // The first run's release is live in development, served by the router on its port by the app the build packed.
    const first = await runPipeline();
    expect((await currentRelease(world.db, envs.development.id))?.id).toBe(first.id);
    expect(await served(ports[0])).toContain(`version ${first.version}`);

    // The board offers to promote it to staging.
    const board = await deploymentBoard(world.db, project.id, { routerUrl: world.routerUrl, publicHost: "127.0.0.1" });
    const development = board.columns.find((c) => c.environment.name === "development")!;
    expect(development.current?.version).toBe(first.version);
    expect(development.promote).toMatchObject({ to: { name: "staging" }, blocked: null });
    expect(development.health.status).toBe("healthy");
    expect(development.health.url).toBe(`http://127.0.0.1:${ports[0]}/`);

    expect((await waitForDeployment(world.db, (await promote(first.id, "development")).id)).phase).toBe("succeeded");
    expect(await served(ports[1])).toContain(`version ${first.version}`);
    // Production's first release has nothing to compare a canary with: it goes straight to all traffic.
    expect((await waitForDeployment(world.db, (await promote(first.id, "staging")).id)).phase).toBe("succeeded");
    expect(await served(ports[2])).toContain(`version ${first.version}`);

    // The next run's release reaches production as a canary: a fifth of the traffic, then a pause a person can cut short.
    const second = await runPipeline();
    expect(await served(ports[0])).toContain(`version ${second.version}`);
    expect((await waitForDeployment(world.db, (await promote(second.id, "development")).id)).phase).toBe("succeeded");
    const canary = await promote(second.id, "staging");
    expect((canary.spec as { strategy: string }).strategy).toBe("canary");
    const paused = await waitForDeployment(world.db, canary.id, (row) => row.phase === "paused");
    expect(paused.traffic).toEqual({ [first.version]: 80, [second.version]: 20 });
    await signalDeployment(world.db, actorFor(admin), { projectId: project.id, deploymentId: canary.id, type: "promoteNow" });
    expect((await waitForDeployment(world.db, canary.id)).phase).toBe("succeeded");
    expect(await served(ports[2])).toContain(`version ${second.version}`);
    const history = await getDeployment(world.db, project.id, canary.id);
    expect(history.signals.map((s) => s.type)).toEqual(["promoteNow"]);
    expect(history.traffic).toEqual({ [second.version]: 100 });
    expect(history.trafficChanges.map((e) => e.message)).toContain(`Traffic ${first.version} 80%, ${second.version} 20%`);
  }, 180_000);
});
