import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployments, type Environment, type Project, type Release, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { deploymentSpecSchema } from "@/server/deploy";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTestRepo } from "@/server/testing/git-fixtures";
import { markLive, uniqueListenPort } from "@/workers/deployer/testing/seed";
import { deploymentBoard, previewDeployment } from "./deployment-board";
import { updateEnvironment } from "./environments";
import { git } from "./git-cli";
import { addFreezeWindow, removeFreezeWindow, setProtectionRules } from "./governance-rules";
import { createRelease } from "./releases";
import { setTargetSettings } from "./targets-config";

/**
 * The environments board and the confirmations before a change: what serves where, which
 * buttons apply (and why not), and exactly what a deploy, promotion or rollback changes.
 */
let t: TestDatabase;
let owner: User;
let dataDir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-board-"));
});

afterAll(async () => {
  await t.close();
  await cleanupAllTestRepos();
  await rm(dataDir, { recursive: true, force: true });
});

const noRouter = { routerUrl: null, publicHost: "localhost" };

/** A project whose first `targets` environments have a local target; releases at the given commits. */
async function world({ targets = 3, whenBusy = "queue" as "queue" | "refuse", commits = [] as string[] } = {}) {
  const project: Project = await createProjectAs(t.db, owner);
  const envs: Environment[] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
  for (const env of envs.slice(0, targets)) {
    await setTargetSettings(t.db, actorFor(owner), {
      projectId: project.id,
      environmentId: env.id,
      settings: { target: { kind: "local", command: ["node", "server.js"], listenPort: uniqueListenPort() }, strategy: { strategy: "rolling", replicas: 2 }, whenBusy },
    });
  }
  const shas = commits.length ? commits : [0, 1, 2].map(() => randomBytes(20).toString("hex"));
  const releases: Release[] = [];
  for (const [i, sha] of shas.entries()) {
    releases.push(await createRelease(t.db, actorFor(owner), { projectId: project.id, version: `1.0.${i + 1}`, artifactName: "app", artifactDigest: `sha256:${randomBytes(32).toString("hex")}`, commitSha: sha }));
  }
  const live = (env: Environment, release: Release) => markLive(t.db, { projectId: project.id, environmentId: env.id, releaseId: release.id });
  return { project, envs, releases, live };
}

describe("the environments board", () => {
  it("shows each environment's current release and which buttons apply, saying why when one does not", async () => {
    const { project, envs, releases, live } = await world({ targets: 2 });
    await live(envs[0], releases[0]);
    await live(envs[0], releases[1]);

    const board = await deploymentBoard(t.db, project.id, noRouter);
    expect(board.releaseCount).toBe(3);
    expect(board.columns.map((c) => c.environment.name)).toEqual(["development", "staging", "production"]);
    const [development, staging, production] = board.columns;

    expect(development.current?.version).toBe("1.0.2");
    expect(development.since).toMatchObject({ phase: "succeeded", version: "1.0.2", requestedByLabel: "seed" });
    expect(development.target).toMatchObject({ kind: "local", strategy: "rolling", replicas: 2 });
    expect(development.promote).toEqual({ to: { id: envs[1].id, name: "staging" }, blocked: null, waits: false, holds: null });
    expect(development.rollback.to?.version).toBe("1.0.1");
    expect(development.rollback.blocked).toBeNull();
    expect(development.deploy.blocked).toBeNull();

    expect(staging.current).toBeNull();
    expect(staging.promote.blocked).toBe("Nothing is deployed to staging yet.");
    expect(staging.rollback.blocked).toMatch(/^Nothing is deployed to staging yet/);

    expect(production.target).toBeNull();
    expect(production.deploy.blocked).toMatch(/^production has no target yet/);
    expect(production.promote).toMatchObject({ to: null });

    // Without the router, health is what the deployments recorded.
    expect(development.health).toMatchObject({ status: "unknown", url: expect.stringMatching(/^http:\/\/localhost:\d+\/$/) });
  });

  it("names the next environment's missing target, a release already live there, and a deployment in progress", async () => {
    const { project, envs, releases, live } = await world({ targets: 2 });
    await live(envs[0], releases[0]);
    await live(envs[1], releases[0]);
    await live(envs[1], releases[1]);
    let [development, staging] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    expect(staging.promote.blocked).toMatch(/^production has no target yet/);
    expect(development.promote.blocked).toBeNull();

    await live(envs[0], releases[1]);
    [development] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    expect(development.promote.blocked).toBe("1.0.2 is already live in staging.");

    // A deployment of another release runs in staging: the promotion waits in line.
    await live(envs[0], releases[2]);
    await t.db.insert(deployments).values({ projectId: project.id, environmentId: envs[1].id, releaseId: releases[0].id, kind: "rollback", phase: "progressing", spec: deploymentSpecSchema.parse({ strategy: "rolling" }) as never, requestedByLabel: "someone" });
    [development, staging] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    expect(development.promote).toMatchObject({ blocked: null, waits: true });
    expect(staging.active).toMatchObject({ kind: "rollback", version: "1.0.1", phase: "progressing" });
    expect(staging.rollback.blocked).toMatch(/^A deployment to staging is in progress/);
  });

  it("shows a failed rollback as the environment's latest outcome, beside the release that still serves", async () => {
    const { project, envs, releases, live } = await world({ targets: 1 });
    await live(envs[0], releases[0]);
    await live(envs[0], releases[1]);
    await t.db.insert(deployments).values({
      projectId: project.id,
      environmentId: envs[0].id,
      releaseId: releases[0].id,
      kind: "rollback",
      phase: "failed",
      reason: "1.0.1 failed its health check",
      spec: deploymentSpecSchema.parse({ strategy: "blue-green" }) as never,
      requestedByLabel: "rita@example.test",
      finishedAt: new Date(),
    });
    const [development] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    expect(development.current?.version).toBe("1.0.2");
    expect(development.latest).toMatchObject({ kind: "rollback", phase: "failed", version: "1.0.1", reason: "1.0.1 failed its health check" });
    expect(development.since?.version).toBe("1.0.2");
  });

  it("refuses to offer a promotion into an environment that refuses new deployments while one runs", async () => {
    const { project, envs, releases, live } = await world({ targets: 2, whenBusy: "refuse" });
    await live(envs[0], releases[1]);
    await t.db.insert(deployments).values({ projectId: project.id, environmentId: envs[1].id, releaseId: releases[0].id, kind: "deploy", phase: "progressing", spec: deploymentSpecSchema.parse({ strategy: "rolling" }) as never, requestedByLabel: "someone" });
    const [development, staging] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    expect(development.promote.blocked).toBe("A deployment to staging is in progress, and staging accepts no other until it ends.");
    expect(staging.deploy.blocked).toBe("A deployment to staging is in progress, and staging accepts no other until it ends.");
  });
});

describe("the environments' protection rules on the board", () => {
  const hourAgo = () => new Date(Date.now() - 3_600_000);
  const inAnHour = () => new Date(Date.now() + 3_600_000);
  const utc = (at: Date) => `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;
  const protect = (projectId: string, env: Environment, rules: Record<string, unknown>) => setProtectionRules(t.db, actorFor(owner), { projectId, environmentId: env.id, rules });

  /** development serves 1.0.3 (after 1.0.1), staging 1.0.2 (after 1.0.1): every button applies before any rule. */
  async function deployed() {
    const w = await world({ targets: 3 });
    const [development, staging] = w.envs;
    for (const [env, release] of [[development, 0], [development, 2], [staging, 0], [staging, 1]] as const) await w.live(env, w.releases[release]);
    return w;
  }

  it("turns off every button into a frozen environment, saying until when and which window, and on again when the window is removed", async () => {
    const { project, envs } = await deployed();
    const window = await addFreezeWindow(t.db, actorFor(owner), { projectId: project.id, environmentId: envs[1].id, window: { kind: "once", name: "Launch week", startsAt: hourAgo(), endsAt: inAnHour() } });
    const frozen = `staging is frozen until ${utc(window.endsAt!)}: "Launch week". Deployments from pipelines and the API wait and start by themselves then.`;
    const board = await deploymentBoard(t.db, project.id, noRouter);
    let [development, staging] = board.columns;
    const production = board.columns[2];
    expect(development.promote).toMatchObject({ blocked: frozen, waits: false });
    expect(staging.deploy.blocked).toBe(frozen);
    expect(staging.rollback.blocked).toBe(frozen);
    // Only staging is frozen.
    expect(development.deploy.blocked).toBeNull();
    expect(development.rollback.blocked).toBeNull();
    expect(staging.promote).toMatchObject({ to: { name: "production" }, blocked: null });
    expect(production.deploy.blocked).toBeNull();

    // Rollbacks the rules exempt from freezes stay on, for emergencies.
    await protect(project.id, envs[1], { rollbackExemptions: ["freeze"] });
    [development, staging] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    expect(staging.rollback).toMatchObject({ blocked: null, holds: null });
    expect(development.promote.blocked).toBe(frozen);

    await removeFreezeWindow(t.db, actorFor(owner), { projectId: project.id, freezeWindowId: window.id });
    [development, staging] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    expect(development.promote).toMatchObject({ blocked: null, holds: null });
    expect(staging.deploy.blocked).toBeNull();
  });

  it("says when a freeze refuses deployments, and that an administrator can override it", async () => {
    const { project, envs } = await deployed();
    const window = await addFreezeWindow(t.db, actorFor(owner), { projectId: project.id, environmentId: envs[2].id, window: { kind: "once", name: "Year end", mode: "refuse", startsAt: hourAgo(), endsAt: inAnHour() } });
    const [, staging, production] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    const refused = `production is frozen until ${utc(window.endsAt!)}: "Year end". Deployments are refused until then; an administrator can override the freeze with a written reason.`;
    expect(staging.promote.blocked).toBe(refused);
    expect(production.deploy.blocked).toBe(refused);
  });

  it("leaves a promotion that needs approval on, saying whose approval it will wait for; a rule that refuses turns it off with the reason", async () => {
    const { project, envs } = await deployed();
    await protect(project.id, envs[2], {
      stages: [
        { name: "QA lead", count: 1, approvers: { users: [owner.id] } },
        { name: "Release manager", count: 1, approvers: { roles: ["maintainer"] } },
      ],
      waitTimerMinutes: 30,
    });
    await protect(project.id, envs[1], { allowedBranches: ["main"], rollbackExemptions: ["refs"] });
    const [development, staging] = (await deploymentBoard(t.db, project.id, noRouter)).columns;
    expect(staging.promote).toMatchObject({ blocked: null, holds: "It will wait for approval by QA lead, then Release manager and a wait timer of 30 minutes before it starts." });
    expect(development.promote.blocked).toBe("Only branches main may deploy to staging, and this release's branch or tag is not known.");
    expect(staging.rollback).toMatchObject({ blocked: null, holds: null });

    // The confirmation says who approves each stage.
    const preview = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[2].id, releaseId: staging.current!.id, kind: "promotion", fromEnvironmentId: envs[1].id });
    expect(preview.blocked).toBeNull();
    expect(preview.governance).toMatchObject({ outcome: "needs-approval", waitTimer: { minutes: 30 } });
    expect(preview.governance.approval).toEqual({
      stageIndex: 0,
      stages: [
        { name: "QA lead", count: 1, approvers: owner.name, approvedBy: [] },
        { name: "Release manager", count: 1, approvers: "a maintainer or admin", approvedBy: [] },
      ],
    });
    const refused = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[1].id, releaseId: development.current!.id, kind: "promotion", fromEnvironmentId: envs[0].id });
    expect(refused.blocked).toBe("Only branches main may deploy to staging, and this release's branch or tag is not known.");
  });
});

describe("what a change would do", () => {
  it("shows a promotion's versions, the commits it brings, the digest and the variables that differ from where it ran", async () => {
    const repo = await createTestRepo();
    const first = await repo.commit({ "server.js": "v1" }, "First version");
    await repo.commit({ "server.js": "v2" }, "Faster start-up");
    const second = await repo.commit({ "README.md": "docs" }, "Explain the settings");
    const { project, envs, releases, live } = await world({ targets: 2, commits: [first, second] });
    await git(dataDir, ["clone", "--quiet", "--bare", repo.dir, path.join(dataDir, "mirrors", `${project.id}.git`)]);
    await updateEnvironment(t.db, actorFor(owner), { projectId: project.id, environmentId: envs[0].id, variables: { LOG_LEVEL: "debug", REGION: "eu" } });
    await updateEnvironment(t.db, actorFor(owner), { projectId: project.id, environmentId: envs[1].id, variables: { LOG_LEVEL: "info", REGION: "eu", CACHE: "on" } });
    await live(envs[0], releases[1]);
    await live(envs[1], releases[0]);
    // Edited after 1.0.1 went live in staging: these take effect with the next deployment there.
    await updateEnvironment(t.db, actorFor(owner), { projectId: project.id, environmentId: envs[1].id, variables: { LOG_LEVEL: "info", REGION: "us", CACHE: "on" } });

    const preview = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[1].id, releaseId: releases[1].id, kind: "promotion", fromEnvironmentId: envs[0].id });
    expect(preview).toMatchObject({ kind: "promotion", environment: { name: "staging" }, direction: "forward", blocked: null, ahead: 0 });
    expect(preview.current?.version).toBe("1.0.1");
    expect(preview.release.version).toBe("1.0.2");
    expect(preview.commits.list.map((c) => c.title)).toEqual(["Explain the settings", "Faster start-up"]);
    expect(preview.commits.list[0]).toMatchObject({ sha: second, author: "Ada Tester" });
    expect(preview.artifact).toEqual({ from: `app ${releases[0].artifactDigest}`, to: `app ${releases[1].artifactDigest}`, changed: true });
    expect(preview.variables.fromEnvironment).toEqual({
      name: "development",
      changes: [
        { name: "CACHE", from: null, to: "on" },
        { name: "LOG_LEVEL", from: "debug", to: "info" },
        { name: "REGION", from: "eu", to: "us" },
      ],
    });
    expect(preview.variables.sinceCurrent).toEqual([{ name: "REGION", from: "eu", to: "us" }]);
    expect(preview.strategy).toMatchObject({ name: "rolling", replicas: 2 });

    // Back again: a rollback loses those commits, and runs blue-green whatever the environment's strategy.
    await live(envs[1], releases[1]);
    const back = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[1].id, releaseId: releases[0].id, kind: "rollback" });
    expect(back).toMatchObject({ direction: "back", blocked: null, strategy: { name: "blue-green", replicas: 2 } });
    expect(back.commits.list.map((c) => c.title)).toEqual(["Explain the settings", "Faster start-up"]);

    // The release that already serves there cannot be deployed again.
    const again = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[1].id, releaseId: releases[1].id, kind: "deploy" });
    expect(again.blocked).toBe("1.0.2 is already live in staging.");
  });

  it("says when the history is not available here, when it is the first deployment, and when it would wait in line", async () => {
    const { project, envs, releases, live } = await world({ targets: 2 });
    const firstHere = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[1].id, releaseId: releases[0].id, kind: "deploy" });
    expect(firstHere).toMatchObject({ direction: "first", current: null, artifact: { from: null, changed: true } });
    expect(firstHere.commits.note).toMatch(/^The first deployment here/);

    await live(envs[0], releases[0]);
    const later = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[0].id, releaseId: releases[2].id, kind: "deploy" });
    expect(later.commits.note).toMatch(/^The repository's history is not available here/);

    await t.db.insert(deployments).values({ projectId: project.id, environmentId: envs[0].id, releaseId: releases[1].id, kind: "deploy", phase: "progressing", spec: deploymentSpecSchema.parse({ strategy: "rolling" }) as never, requestedByLabel: "someone" });
    const waiting = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[0].id, releaseId: releases[2].id, kind: "deploy" });
    expect(waiting).toMatchObject({ ahead: 1, blocked: null });
    const rollback = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[0].id, releaseId: releases[0].id, kind: "rollback" });
    expect(rollback.blocked).toMatch(/^A deployment to development is in progress/);

    const noTarget = await previewDeployment(t.db, dataDir, { projectId: project.id, environmentId: envs[2].id, releaseId: releases[0].id, kind: "deploy" });
    expect(noTarget.blocked).toMatch(/^production has no target yet/);
  });
});
