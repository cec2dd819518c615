import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectMembers, type Environment, type Project, type Release, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { markLive, seedReleases } from "@/workers/deployer/testing/seed";
import { decideApproval } from "./approvals";
import { getDeployment, requestDeployment } from "./deployments";
import { overrideFreeze } from "./governance-gate";
import { previewDeployment } from "./governance-outlook";
import { addFreezeWindow, setProtectionRules } from "./governance-rules";

/**
 * What the rules say about a deployment without changing anything: on a held deployment's page
 * (the approval stage and who approved, the freeze and until when, the wait timer, overrides)
 * and before one is asked for. Against a real PostgreSQL; no worker runs.
 */
let t: TestDatabase;
let owner: User; // project admin: sets the rules, overrides freezes
let developer: User; // asks for deployments
let qa: User; // the QA lead, named in the rules
let rm: User; // a maintainer: release manager

beforeAll(async () => {
  t = await createTestDatabase();
  [owner, developer, qa, rm] = await Promise.all(["owner", "developer", "qa", "rm"].map((name) => createUser(t.db, { name, email: `${name}-${randomBytes(3).toString("hex")}@example.test` })));
});

afterAll(async () => {
  await t.close();
});

type World = { project: Project; staging: Environment; prod: Environment; releases: Release[] };

async function world(): Promise<World> {
  const project = await createProjectAs(t.db, owner);
  await t.db.insert(projectMembers).values([
    { projectId: project.id, userId: developer.id, role: "developer" },
    { projectId: project.id, userId: qa.id, role: "developer" },
    { projectId: project.id, userId: rm.id, role: "maintainer" },
  ]);
  const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
  const releases = await seedReleases(t.db, actorFor(owner), project.id, envs.map((e) => e.id));
  return { project, staging: envs[1], prod: envs[2], releases };
}

const hourAgo = () => new Date(Date.now() - 3_600_000);
const inAnHour = () => new Date(Date.now() + 3_600_000);
const protect = (w: World, env: Environment, rules: Record<string, unknown>) => setProtectionRules(t.db, actorFor(owner), { projectId: w.project.id, environmentId: env.id, rules });
const deployTo = (w: World, env: Environment, release: Release, kind: "deploy" | "promotion" | "rollback" = "promotion") =>
  requestDeployment(t.db, actorFor(developer), { projectId: w.project.id, environmentId: env.id, releaseId: release.id, kind });
const governanceOf = async (w: World, deploymentId: string) => (await getDeployment(t.db, w.project.id, deploymentId)).governance;

describe("a held deployment's page", () => {
  it("says which approval stage it waits in, who approved so far, the freeze until when, and the override with who wrote it and why", async () => {
    const w = await world();
    await protect(w, w.prod, {
      stages: [
        { name: "QA lead", count: 1, approvers: { users: [qa.id] } },
        { name: "Release manager", count: 1, approvers: { roles: ["maintainer"] } },
      ],
    });
    const window = await addFreezeWindow(t.db, actorFor(owner), { projectId: w.project.id, environmentId: w.prod.id, window: { kind: "once", name: "Launch", startsAt: hourAgo(), endsAt: inAnHour() } });
    const held = await deployTo(w, w.prod, w.releases[0]);

    let governance = await governanceOf(w, held.id);
    expect(governance).toMatchObject({ status: "held", ruleVersion: 1, currentRuleVersion: 1, waitTimer: null, overrides: [] });
    expect(governance?.approval).toMatchObject({
      status: "pending",
      stageIndex: 0,
      stages: [
        { name: "QA lead", count: 1, approvers: "qa", approvedBy: [] },
        { name: "Release manager", count: 1, approvers: "a maintainer or admin", approvedBy: [] },
      ],
    });
    expect(governance?.freeze).toMatchObject({ until: window.endsAt, windows: ["Launch"], refuses: false });

    await decideApproval(t.db, qa, actorFor(qa), { projectId: w.project.id, requestId: governance!.approval!.requestId, decision: "approved", comment: "Tested on staging" });
    governance = await governanceOf(w, held.id);
    expect(governance?.approval).toMatchObject({ status: "pending", stageIndex: 1 });
    expect(governance?.approval?.stages[0].approvedBy).toMatchObject([{ label: qa.email, comment: "Tested on staging" }]);

    // Overridden, the freeze no longer holds it; the approval still does.
    await overrideFreeze(t.db, actorFor(owner), { projectId: w.project.id, deploymentId: held.id, reason: "Fixes the checkout outage" });
    governance = await governanceOf(w, held.id);
    expect(governance).toMatchObject({ status: "held", freeze: null, overrides: [{ by: owner.email, reason: "Fixes the checkout outage" }] });

    await decideApproval(t.db, rm, actorFor(rm), { projectId: w.project.id, requestId: governance!.approval!.requestId, decision: "approved" });
    governance = await governanceOf(w, held.id);
    expect(governance).toMatchObject({ status: "cleared", freeze: null, approval: { status: "approved", stageIndex: null }, overrides: [{ by: owner.email, reason: "Fixes the checkout outage" }] });
    expect(governance?.notes).toEqual([expect.stringMatching(/^Deployments are frozen \("Launch"\) until .* UTC; overridden by .*: Fixes the checkout outage$/)]);
  });

  it("says when the wait timer lets it start, and says nothing for a deployment no rule held", async () => {
    const w = await world();
    await protect(w, w.prod, { waitTimerMinutes: 30 });
    const held = await deployTo(w, w.prod, w.releases[0]);
    expect(await governanceOf(w, held.id)).toMatchObject({ status: "held", approval: null, freeze: null, waitTimer: { minutes: 30, until: new Date(held.createdAt.getTime() + 30 * 60_000) } });
    const free = await deployTo(w, w.staging, w.releases[0]);
    expect(await governanceOf(w, free.id)).toBeNull();
  });
});

describe("before a deployment is asked for", () => {
  it("a freeze turns the button off with until when and which window; a rollback the rules exempt passes, saying what it skips", async () => {
    const w = await world();
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: w.releases[0].id });
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: w.releases[1].id });
    const window = await addFreezeWindow(t.db, actorFor(owner), { projectId: w.project.id, environmentId: w.prod.id, window: { kind: "once", name: "Launch", startsAt: hourAgo(), endsAt: inAnHour() } });
    const input = { projectId: w.project.id, environmentId: w.prod.id, releaseId: w.releases[0].id };
    const promotion = await previewDeployment(t.db, { ...input, kind: "promotion" });
    expect(promotion).toMatchObject({ outcome: "wait", until: window.endsAt, freeze: { windows: ["Launch"], refuses: false } });
    expect(promotion.blocked).toMatch(/^production is frozen until \d{4}-\d\d-\d\d \d\d:\d\d UTC: "Launch"\. /);

    await protect(w, w.prod, { rollbackExemptions: ["freeze"] });
    expect(await previewDeployment(t.db, { ...input, kind: "rollback" })).toMatchObject({
      outcome: "pass",
      blocked: null,
      freeze: null,
      notes: ["Rollback: freeze windows skipped, as this environment's rules allow"],
    });
  });
});
