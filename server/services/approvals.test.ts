import { randomBytes, randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  approvalRequests,
  auditEvents,
  deploymentEvents,
  deploymentGates,
  deployments,
  jobs,
  projectMembers,
  releases,
  runs,
  type Environment,
  type Project,
  type Release,
  type ReleaseChanges,
  type User,
} from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser, rejectionOf } from "@/server/testing/fixtures";
import { markLive, seedReleases } from "@/workers/deployer/testing/seed";
import { approveMany, decideApproval, deploymentGate, getApprovalRequest, inboxCount, listInbox, sweepGovernance } from "./approvals";
import { startNextQueued } from "./deploy-driver";
import { requestDeployment, rollbackEnvironment, signalDeployment } from "./deployments";
import { ConflictError, ForbiddenError } from "./errors";
import { overrideFreeze } from "./governance-gate";
import { previewDeployment } from "./governance-outlook";
import { addFreezeWindow, setApproverGroup, setProtectionRules } from "./governance-rules";
import { createRelease } from "./releases";

/**
 * Governance against a real PostgreSQL, through the deployment services every path uses
 * (requestDeployment is what pipeline deploy jobs, promotion, manual deploys, rollbacks and the
 * API call). No worker runs: a deployment that may start becomes `pending`.
 */
let t: TestDatabase;
let owner: User; // project admin, sets the rules
let developer: User; // triggers runs, authors commits
let qa: User; // in the "qa" group
let rm1: User; // maintainers: release managers
let rm2: User;
let viewer: User;
let outsider: User;

beforeAll(async () => {
  t = await createTestDatabase();
  [owner, developer, qa, rm1, rm2, viewer, outsider] = await Promise.all(
    ["owner", "developer", "qa", "rm1", "rm2", "viewer", "outsider"].map((name) => createUser(t.db, { name, email: `${name}-${randomBytes(3).toString("hex")}@example.test` })),
  );
});

afterAll(async () => {
  await t.close();
});

type World = { project: Project; envs: Environment[]; dev: Environment; staging: Environment; prod: Environment };

async function world(): Promise<World> {
  const project = await createProjectAs(t.db, owner);
  await t.db.insert(projectMembers).values([
    { projectId: project.id, userId: developer.id, role: "developer" },
    { projectId: project.id, userId: qa.id, role: "developer" },
    { projectId: project.id, userId: rm1.id, role: "maintainer" },
    { projectId: project.id, userId: rm2.id, role: "maintainer" },
    { projectId: project.id, userId: viewer.id, role: "viewer" },
  ]);
  const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
  await seedReleases(t.db, actorFor(owner), project.id, envs.map((e) => e.id), []);
  await setApproverGroup(t.db, actorFor(owner), { projectId: project.id, name: "qa", userIds: [qa.id] });
  return { project, envs, dev: envs[0], staging: envs[1], prod: envs[2] };
}

let runNumber = 0;
/** A release made by a run of `branch` (triggered by the developer), with its jobs' results and the commit authors. */
async function releaseOf(
  w: World,
  opts: { branch?: string | null; tag?: string | null; jobs?: Record<string, string>; authors?: string[]; revision?: string | null; commits?: ReleaseChanges["commits"]; files?: string[] } = {},
): Promise<Release> {
  const commitSha = randomBytes(20).toString("hex");
  const [run] = await t.db
    .insert(runs)
    .values({
      projectId: w.project.id,
      number: ++runNumber,
      status: "running",
      trigger: "push",
      triggeredBy: developer.id,
      event: { sha: commitSha },
      commitSha,
      branch: opts.tag ? null : (opts.branch ?? "main"),
      tag: opts.tag ?? null,
      pipelineYaml: "",
      plan: {},
    })
    .returning();
  const jobStatuses = opts.jobs ?? { build: "succeeded", test: "succeeded" };
  await t.db.insert(jobs).values(Object.entries(jobStatuses).map(([key, status]) => ({ runId: run.id, key, jobId: key, name: key, status: status as "succeeded" })));
  return createRelease(t.db, actorFor(developer), {
    projectId: w.project.id,
    version: `1.0.${runNumber}`,
    artifactName: "app",
    artifactDigest: `sha256:${randomBytes(32).toString("hex")}`,
    commitSha,
    runId: run.id,
    pipelineRevisionId: opts.revision === undefined ? null : opts.revision,
    changes: { previousReleaseId: null, previousVersion: null, fromSha: null, authors: opts.authors ?? [developer.email], files: opts.files ?? ["src/app.ts"], commits: opts.commits, source: "event" },
  });
}

const rmStage = (count = 1) => ({ name: "Release manager", count, approvers: { roles: ["maintainer"] } });
const qaStage = { name: "QA lead", count: 1, approvers: { groups: ["qa"] } };

async function protect(w: World, env: Environment, rules: Record<string, unknown>) {
  return setProtectionRules(t.db, actorFor(owner), { projectId: w.project.id, environmentId: env.id, rules });
}

/** What a pipeline deploy job (run by the run's triggerer) asks for. */
function deployAs(user: User, w: World, env: Environment, release: Release, extra: { kind?: "deploy" | "promotion" | "rollback"; jobId?: string } = {}) {
  return requestDeployment(t.db, actorFor(user), { projectId: w.project.id, environmentId: env.id, releaseId: release.id, runId: release.runId, jobId: extra.jobId ?? null, kind: extra.kind });
}

async function requestOf(env: Environment, release: Release) {
  const rows = await t.db
    .select()
    .from(approvalRequests)
    .where(and(eq(approvalRequests.environmentId, env.id), eq(approvalRequests.releaseId, release.id)))
    .orderBy(approvalRequests.createdAt);
  return rows;
}

const decide = (user: User, w: World, requestId: string, decision: "approved" | "rejected" = "approved", comment = "") =>
  decideApproval(t.db, user, actorFor(user), { projectId: w.project.id, requestId, decision, comment });

/** The inbox, limited to these worlds' projects (the people are members of every test's project). */
async function inboxIn(user: User, ...worlds: World[]) {
  const ids = worlds.map((w) => w.project.id);
  const inbox = await listInbox(t.db, user, { limit: 1000 });
  return inbox.items.filter((i) => ids.includes(i.project.id));
}
const countIn = async (user: User, ...worlds: World[]) => (await inboxIn(user, ...worlds)).length;

async function phaseOf(deploymentId: string) {
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, deploymentId));
  return row;
}

/** The running deployment ends as succeeded; the next in line starts, as the worker's recordPass does. */
async function finish(deploymentId: string) {
  await t.db.transaction(async (tx) => {
    const [row] = await tx.update(deployments).set({ phase: "succeeded", finishedAt: new Date() }).where(eq(deployments.id, deploymentId)).returning();
    await startNextQueued(t.db, tx, row.environmentId);
  });
}

describe("approval requests", () => {
  it("hold a deployment queued with the reason, and the approval starts it", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const release = await releaseOf(w);
    const held = await deployAs(developer, w, w.prod, release);
    expect(held).toMatchObject({ phase: "queued", message: "Waiting for approval (Release manager: 1 more of 1)" });
    const [request] = await requestOf(w.prod, release);
    expect(request).toMatchObject({ status: "pending", ruleVersion: 1, artifactDigest: release.artifactDigest, triggeredBy: developer.id, requestedBy: developer.id, authors: [developer.email] });
    const outcome = await decide(rm1, w, request.id, "approved", "looks good");
    expect(outcome).toMatchObject({ status: "approved", deployments: { [held.id]: "cleared" } });
    expect(await phaseOf(held.id)).toMatchObject({ phase: "pending" });
    const events = await t.db.select().from(deploymentEvents).where(eq(deploymentEvents.deploymentId, held.id)).orderBy(deploymentEvents.id);
    expect(events.map((e) => e.message)).toEqual(["Waiting for approval (Release manager: 1 more of 1)", `Cleared: approved by ${rm1.email}`]);
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.objectId, request.id), eq(auditEvents.action, "approval.approve")));
    expect(audit.after).toMatchObject({ environment: "production", version: release.version, stage: "Release manager", comment: "looks good", status: "approved" });
  });

  it("refuse self-approval: the run's triggerer, and the person who asked for the deployment", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [{ name: "Anyone", count: 1, approvers: { roles: ["developer"] } }] });
    const release = await releaseOf(w, { authors: [] });
    await deployAs(developer, w, w.prod, release);
    const [request] = await requestOf(w.prod, release);
    const triggerer = (await rejectionOf(decide(developer, w, request.id))) as ForbiddenError;
    expect(triggerer).toBeInstanceOf(ForbiddenError);
    expect(triggerer.message).toBe("You triggered the run that built this release, so separation of duties does not let you approve it.");

    // A maintainer who deploys by hand cannot approve their own request either.
    const other = await releaseOf(w, { authors: [] });
    const manual = await deployAs(rm1, w, w.prod, other);
    const [mine] = await requestOf(w.prod, other);
    expect(((await rejectionOf(decide(rm1, w, mine.id))) as Error).message).toBe("You asked for this deployment, so separation of duties does not let you approve it.");
    expect(await phaseOf(manual.id)).toMatchObject({ phase: "queued" });
  });

  it("refuse an author of a commit in the change set since what runs there now", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    // rm1 authored the release that runs now; rm2 a commit in between; the candidate's own commits are qa's.
    const live = await releaseOf(w, { authors: [rm1.email] });
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: live.id });
    await releaseOf(w, { authors: [rm2.email.toUpperCase()] });
    const candidate = await releaseOf(w, { authors: [qa.email] });
    const held = await deployAs(developer, w, w.prod, candidate);
    const [request] = await requestOf(w.prod, candidate);
    expect([...request.authors].sort()).toEqual([qa.email, rm2.email].sort());
    const error = (await rejectionOf(decide(rm2, w, request.id))) as ForbiddenError;
    expect(error.message).toBe("You authored a commit in this change set, so separation of duties does not let you approve it.");
    // rm1's commit is already running there, so rm1 may approve.
    await decide(rm1, w, request.id);
    expect(await phaseOf(held.id)).toMatchObject({ phase: "pending" });
  });

  it("refuse a second decision by the same person", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage(2)] });
    const release = await releaseOf(w);
    const held = await deployAs(developer, w, w.prod, release);
    const [request] = await requestOf(w.prod, release);
    expect(await decide(rm1, w, request.id)).toMatchObject({ status: "pending", stageIndex: 0 });
    expect(((await rejectionOf(decide(rm1, w, request.id))) as Error).message).toBe("You already decided on this request; one decision per person.");
    expect(((await rejectionOf(decide(rm1, w, request.id, "rejected", "changed my mind"))) as Error).message).toBe("You already decided on this request; one decision per person.");
    expect((await phaseOf(held.id)).message).toBe("Waiting for approval (Release manager: 1 more of 2)");
    await decide(rm2, w, request.id);
    expect(await phaseOf(held.id)).toMatchObject({ phase: "pending" });
  });

  it("go through stages in order: a later stage's approver waits for the stages before", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [qaStage, rmStage()] });
    const release = await releaseOf(w);
    const held = await deployAs(developer, w, w.prod, release);
    const [request] = await requestOf(w.prod, release);
    expect(((await rejectionOf(decide(rm1, w, request.id))) as Error).message).toBe("This request is in stage 1 (QA lead); you approve in stage 2 (Release manager), after it.");
    expect(await countIn(rm1, w)).toBe(0);
    expect(await countIn(qa, w)).toBe(1);
    expect(await decide(qa, w, request.id)).toMatchObject({ status: "pending", stageIndex: 1 });
    expect((await phaseOf(held.id)).message).toBe("Waiting for approval (stage 2 of 2, Release manager: 1 more of 1)");
    expect(await countIn(qa, w)).toBe(0);
    expect(await countIn(rm1, w)).toBe(1);
    // A viewer is not an approver of either stage.
    expect(((await rejectionOf(decide(viewer, w, request.id))) as Error).message).toBe("You are not an approver of stage 2 (Release manager).");
    await decide(rm1, w, request.id);
    expect(await phaseOf(held.id)).toMatchObject({ phase: "pending" });
  });

  it("a rejection aborts every deployment it held, with the comment", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const release = await releaseOf(w);
    const held = await deployAs(developer, w, w.prod, release);
    const [request] = await requestOf(w.prod, release);
    await expect(decide(rm1, w, request.id, "rejected", "")).rejects.toThrow(/Say why you reject it/);
    expect(await decide(rm1, w, request.id, "rejected", "the migration is not reversible")).toMatchObject({ status: "rejected", deployments: { [held.id]: "refused" } });
    expect(await phaseOf(held.id)).toMatchObject({ phase: "aborted", reason: `Rejected by ${rm1.email}: the migration is not reversible` });
    expect(((await rejectionOf(decide(rm2, w, request.id))) as Error).message).toMatch(/^This request is already rejected: Rejected by/);
  });
});

describe("one decision per release and environment", () => {
  it("releases several deploy jobs of one release: they share one request and go one after another", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const release = await releaseOf(w);
    const first = await deployAs(developer, w, w.prod, release, { jobId: randomUUID() });
    const second = await deployAs(developer, w, w.prod, release, { jobId: randomUUID() });
    const requests = await requestOf(w.prod, release);
    expect(requests).toHaveLength(1);
    expect(await countIn(rm1, w)).toBe(1);
    const outcome = await decide(rm1, w, requests[0].id);
    expect(outcome.deployments).toEqual({ [first.id]: "cleared", [second.id]: "cleared" });
    expect((await phaseOf(first.id)).phase).toBe("pending");
    expect((await phaseOf(second.id)).phase).toBe("queued");
    await finish(first.id);
    // The second finds its release already live and ends at once.
    expect(await phaseOf(second.id)).toMatchObject({ phase: "succeeded", message: `${release.version} is already live` });
    // Deploying the same release there again later needs no new approval.
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: (await releaseOf(w)).id });
    const again = await deployAs(developer, w, w.prod, release);
    expect(again.phase).toBe("pending");
    expect(await requestOf(w.prod, release)).toHaveLength(1);
  });

  it("a held deployment does not block the line: another release approved later starts first", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const older = await deployAs(developer, w, w.prod, await releaseOf(w));
    const newer = await deployAs(developer, w, w.prod, await releaseOf(w));
    const [request] = await requestOf(w.prod, (await t.db.select().from(releases).where(eq(releases.id, newer.releaseId)))[0]);
    await decide(rm1, w, request.id);
    expect((await phaseOf(newer.id)).phase).toBe("pending");
    expect((await phaseOf(older.id)).phase).toBe("queued");
  });
});

describe("stale approvals", () => {
  it("after the pipeline revision changed: the approvals stop counting and the deployment asks again", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage(2)] });
    const release = await releaseOf(w, { revision: randomUUID() });
    const held = await deployAs(developer, w, w.prod, release);
    const [request] = await requestOf(w.prod, release);
    await decide(rm1, w, request.id);
    // The pipeline revision was deleted: the release's link to it became null (the only change releases allow).
    await t.db.update(releases).set({ pipelineRevisionId: null }).where(eq(releases.id, release.id));
    const error = (await rejectionOf(decide(rm2, w, request.id))) as ConflictError;
    expect(error.message).toBe("This request is already stale: The pipeline revision changed after the request, so its approvals no longer count.");
    const [old, fresh] = await requestOf(w.prod, release);
    expect([old.status, fresh.status, fresh.pipelineRevisionId]).toEqual(["stale", "pending", null]);
    const [gate] = await t.db.select().from(deploymentGates).where(eq(deploymentGates.deploymentId, held.id));
    expect(gate).toMatchObject({ status: "held", approvalRequestId: fresh.id, reason: "Waiting for approval (Release manager: 2 more of 2)" });
    await decide(rm1, w, fresh.id);
    await decide(rm2, w, fresh.id);
    expect((await phaseOf(held.id)).phase).toBe("pending");
  });

  it("after the artifact digest changed under an approved request: the next deployment waits for a new approval", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const release = await releaseOf(w);
    const first = await deployAs(developer, w, w.prod, release);
    const [request] = await requestOf(w.prod, release);
    await decide(rm1, w, request.id);
    await finish(first.id);
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: (await releaseOf(w)).id });
    // Someone with database access swaps the artifact behind the release (the immutability trigger is bypassed).
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`alter table releases disable trigger releases_immutable`);
      await tx.update(releases).set({ artifactDigest: "sha256:tampered" }).where(eq(releases.id, release.id));
      await tx.execute(sql`alter table releases enable trigger releases_immutable`);
    });
    const again = await deployAs(developer, w, w.prod, release, { kind: "deploy" });
    expect(again).toMatchObject({ phase: "queued", message: "Waiting for approval (Release manager: 1 more of 1)" });
    const [old, fresh] = await requestOf(w.prod, release);
    expect(old).toMatchObject({ status: "stale", reason: `The artifact digest changed after the request (from ${release.artifactDigest} to sha256:tampered), so its approvals no longer count.` });
    expect(fresh).toMatchObject({ status: "pending", artifactDigest: "sha256:tampered" });
  });

  it("found by the sweep while nobody decides", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const release = await releaseOf(w, { revision: randomUUID() });
    const held = await deployAs(developer, w, w.prod, release);
    await t.db.update(releases).set({ pipelineRevisionId: null }).where(eq(releases.id, release.id));
    await sweepGovernance(t.db);
    const [old, fresh] = await requestOf(w.prod, release);
    expect([old.status, fresh.status]).toEqual(["stale", "pending"]);
    expect((await t.db.select().from(deploymentGates).where(eq(deploymentGates.deploymentId, held.id)))[0].approvalRequestId).toBe(fresh.id);
  });
});

describe("expiry", () => {
  it("rejects a request with no decision by then, says so on the deployment, and audits it", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()], approvalExpiryHours: 1 });
    const release = await releaseOf(w);
    const held = await deployAs(developer, w, w.prod, release);
    const [request] = await requestOf(w.prod, release);
    expect(await sweepGovernance(t.db, new Date(Date.now() + 30 * 60_000))).toMatchObject({ expired: 0 });
    expect((await phaseOf(held.id)).phase).toBe("queued");
    const later = new Date(request.expiresAt.getTime() + 1000);
    expect(await sweepGovernance(t.db, later)).toMatchObject({ expired: 1 });
    const reason = `No decision by ${request.expiresAt.toISOString().replace("T", " ").slice(0, 16)} UTC: the approval request expired and was rejected.`;
    expect(await phaseOf(held.id)).toMatchObject({ phase: "aborted", reason });
    expect((await requestOf(w.prod, release))[0]).toMatchObject({ status: "expired", reason });
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.objectId, request.id), eq(auditEvents.action, "approval.expire")));
    expect(audit).toMatchObject({ actorLabel: "slipway", after: { reason } });
    expect(((await rejectionOf(decide(rm1, w, request.id))) as Error).message).toBe(`This request is already expired: ${reason}`);
  });

  it("withdraws a request whose deployments were all aborted", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const release = await releaseOf(w);
    const held = await deployAs(developer, w, w.prod, release);
    await signalDeployment(t.db, actorFor(developer), { projectId: w.project.id, deploymentId: held.id, type: "abort" });
    expect(await countIn(rm1, w)).toBe(0);
    await sweepGovernance(t.db);
    expect((await requestOf(w.prod, release))[0]).toMatchObject({ status: "withdrawn" });
  });
});

describe("freeze windows", () => {
  const hourAgo = () => new Date(Date.now() - 3_600_000);
  const inAnHour = () => new Date(Date.now() + 3_600_000);

  it("hold a deployment until the window ends, then it starts by itself", async () => {
    const w = await world();
    const window = await addFreezeWindow(t.db, actorFor(rm1), { projectId: w.project.id, environmentId: w.prod.id, window: { kind: "once", name: "Launch week", startsAt: hourAgo(), endsAt: inAnHour() } });
    const held = await deployAs(developer, w, w.prod, await releaseOf(w));
    expect(held.phase).toBe("queued");
    expect(held.message).toMatch(/^Deployments are frozen \("Launch week"\) until .* UTC; it starts by itself then$/);
    const [gate] = await t.db.select().from(deploymentGates).where(eq(deploymentGates.deploymentId, held.id));
    expect(gate.until?.getTime()).toBe(window.endsAt!.getTime());
    // Other environments are not frozen.
    expect((await deployAs(developer, w, w.staging, await releaseOf(w))).phase).toBe("pending");
    await sweepGovernance(t.db, new Date(window.endsAt!.getTime() + 1000));
    expect((await phaseOf(held.id)).phase).toBe("pending");
  });

  it("with an administrator's written override: starts at once, audited and shown on the deployment", async () => {
    const w = await world();
    await addFreezeWindow(t.db, actorFor(owner), { projectId: w.project.id, window: { kind: "once", name: "Everything", startsAt: hourAgo(), endsAt: inAnHour() } });
    const held = await deployAs(developer, w, w.prod, await releaseOf(w));
    await expect(overrideFreeze(t.db, actorFor(owner), { projectId: w.project.id, deploymentId: held.id, reason: "hotfix" })).rejects.toThrow(/at least 10 characters/);
    expect(await overrideFreeze(t.db, actorFor(owner), { projectId: w.project.id, deploymentId: held.id, reason: "Hotfix for the checkout outage" })).toEqual({ outcome: "cleared" });
    expect((await phaseOf(held.id)).phase).toBe("pending");
    const events = (await t.db.select().from(deploymentEvents).where(eq(deploymentEvents.deploymentId, held.id)).orderBy(deploymentEvents.id)).map((e) => e.message);
    expect(events).toContain(`Freeze overridden by ${owner.email}: Hotfix for the checkout outage`);
    expect(events.some((e) => /; overridden by .*: Hotfix for the checkout outage$/.test(e))).toBe(true);
    const gate = await deploymentGate(t.db, { projectId: w.project.id, deploymentId: held.id });
    expect(gate?.notes[0]).toMatch(/overridden by/);
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.objectId, held.id), eq(auditEvents.action, "deployment.freeze_override")));
    expect(audit.after).toEqual({ reason: "Hotfix for the checkout outage" });
  });

  it("that refuse deployments refuse the request with the reason; nothing is recorded", async () => {
    const w = await world();
    await addFreezeWindow(t.db, actorFor(owner), { projectId: w.project.id, environmentId: w.prod.id, window: { kind: "once", name: "Year end", mode: "refuse", startsAt: hourAgo(), endsAt: inAnHour() } });
    const release = await releaseOf(w);
    const error = (await rejectionOf(deployAs(developer, w, w.prod, release))) as ConflictError;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/^Deployments are frozen \("Year end"\) until .*, and this freeze refuses deployments; an administrator can override it with a written reason\.$/);
    expect(await t.db.select().from(deployments).where(eq(deployments.releaseId, release.id))).toEqual([]);
    // What a promotion button shows before it is pressed.
    const preview = await previewDeployment(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: release.id, kind: "promotion" });
    expect(preview).toMatchObject({ outcome: "refuse", reason: error.message });
    expect(await previewDeployment(t.db, { projectId: w.project.id, environmentId: w.staging.id, releaseId: release.id, kind: "promotion" })).toMatchObject({ outcome: "pass", reason: null });
  });

  it("hold a deployment that is also waiting for approval: approved during the freeze, it starts when the freeze ends", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const window = await addFreezeWindow(t.db, actorFor(owner), { projectId: w.project.id, environmentId: w.prod.id, window: { kind: "once", name: "Launch", startsAt: hourAgo(), endsAt: inAnHour() } });
    const release = await releaseOf(w);
    const held = await deployAs(developer, w, w.prod, release);
    expect(held.message).toMatch(/^Waiting for approval \(Release manager: 1 more of 1\); Deployments are frozen/);
    const [request] = await requestOf(w.prod, release);
    expect(await decide(rm1, w, request.id)).toMatchObject({ status: "approved", deployments: { [held.id]: "held" } });
    expect((await phaseOf(held.id)).message).toMatch(/^Deployments are frozen \("Launch"\)/);
    await sweepGovernance(t.db, new Date(window.endsAt!.getTime() + 1));
    expect((await phaseOf(held.id)).phase).toBe("pending");
  });
});

describe("refs, checks, promotion and the wait timer", () => {
  it("branch filter: only allowed branches and tags deploy", async () => {
    const w = await world();
    await protect(w, w.prod, { allowedBranches: ["main", "release/*"], allowedTags: ["v*"] });
    await expect(deployAs(developer, w, w.prod, await releaseOf(w, { branch: "feature/login" }))).rejects.toThrow(
      "Only branches main, release/* and tags v* may deploy to production; this release was built from branch feature/login.",
    );
    expect((await deployAs(developer, w, w.prod, await releaseOf(w, { branch: "release/2.1" }))).phase).toBe("pending");
    const tagged = await deployAs(developer, w, w.staging, await releaseOf(w, { tag: "v2.1.0" }));
    expect(tagged.phase).toBe("pending");
  });

  it("required checks: named jobs of the run must have succeeded", async () => {
    const w = await world();
    await protect(w, w.prod, { requiredChecks: ["test", "e2e"] });
    await expect(deployAs(developer, w, w.prod, await releaseOf(w, { jobs: { test: "succeeded", e2e: "failed" } }))).rejects.toThrow("Required checks are not met: e2e did not succeed.");
    expect((await deployAs(developer, w, w.prod, await releaseOf(w, { jobs: { test: "succeeded", e2e: "succeeded" } }))).phase).toBe("pending");
  });

  it("promotion lifecycle: a release must have succeeded in the environment before", async () => {
    const w = await world();
    await protect(w, w.prod, { requirePreviousEnvironment: true });
    const release = await releaseOf(w);
    await expect(deployAs(rm1, w, w.prod, release)).rejects.toThrow("production takes only releases that succeeded in staging first; deploy it there before.");
    await markLive(t.db, { projectId: w.project.id, environmentId: w.staging.id, releaseId: release.id });
    expect((await deployAs(rm1, w, w.prod, release)).phase).toBe("pending");
  });

  it("wait timer: the deployment waits, then starts by itself", async () => {
    const w = await world();
    await protect(w, w.prod, { waitTimerMinutes: 10 });
    const held = await deployAs(developer, w, w.prod, await releaseOf(w));
    expect(held).toMatchObject({ phase: "queued", message: "Wait timer: 10 minutes after the request" });
    await sweepGovernance(t.db, new Date(held.createdAt.getTime() + 5 * 60_000));
    expect((await phaseOf(held.id)).phase).toBe("queued");
    await sweepGovernance(t.db, new Date(held.createdAt.getTime() + 10 * 60_000));
    expect((await phaseOf(held.id)).phase).toBe("pending");
  });
});

describe("rules", () => {
  it("a rule change while a request is pending: it is judged by the rules it was made under, and says which", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage(1)] });
    const release = await releaseOf(w);
    const held = await deployAs(developer, w, w.prod, release);
    await protect(w, w.prod, { stages: [rmStage(2)] });
    const [request] = await requestOf(w.prod, release);
    const item = await getApprovalRequest(t.db, rm1, { projectId: w.project.id, requestId: request.id });
    expect(item).toMatchObject({ ruleVersion: 1, currentRuleVersion: 2, stages: [{ name: "Release manager", count: 1 }], mayDecide: { ok: true } });
    // Another deployment of the same release joins the pending request, under its rules too.
    const second = await deployAs(developer, w, w.prod, release, { jobId: randomUUID() });
    expect((await t.db.select().from(deploymentGates).where(eq(deploymentGates.deploymentId, second.id)))[0]).toMatchObject({ ruleVersion: 1, approvalRequestId: request.id });
    expect(await decide(rm1, w, request.id)).toMatchObject({ status: "approved" });
    expect((await phaseOf(held.id)).phase).toBe("pending");
    // A new request is made under the rules in force.
    await deployAs(developer, w, w.prod, await releaseOf(w));
    const [latest] = await t.db.select().from(approvalRequests).where(and(eq(approvalRequests.environmentId, w.prod.id), eq(approvalRequests.status, "pending")));
    expect(latest.ruleVersion).toBe(2);
  });

  it("turning separation of duties off is audited as such, and lets a commit author approve", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    await protect(w, w.prod, { stages: [rmStage()], separationOfDuties: false });
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.objectId, w.prod.id), eq(auditEvents.action, "environment.protection.separation_of_duties_off")));
    expect(audit.after).toMatchObject({ version: 2, changes: ["Separation of duties turned off"] });
    const release = await releaseOf(w, { authors: [rm1.email] });
    const held = await deployAs(developer, w, w.prod, release);
    const [request] = await requestOf(w.prod, release);
    await decide(rm1, w, request.id);
    expect((await phaseOf(held.id)).phase).toBe("pending");
  });

  it("refuse approvers who are not members and groups that do not exist", async () => {
    const w = await world();
    await expect(protect(w, w.prod, { stages: [{ name: "X", count: 1, approvers: { users: [outsider.id] } }] })).rejects.toThrow("Named approvers must be members of the project; one is not.");
    await expect(protect(w, w.prod, { stages: [{ name: "X", count: 1, approvers: { groups: ["cab"] } }] })).rejects.toThrow('There is no approver group "cab" in this project; create it first.');
  });

  it("a rollback skips the rules it is exempt from, and only those", async () => {
    const w = await world();
    const [a, b] = [await releaseOf(w), await releaseOf(w)];
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: a.id });
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: b.id });
    await protect(w, w.prod, { stages: [rmStage()] });
    const held = await rollbackEnvironment(t.db, actorFor(rm1), { projectId: w.project.id, environmentId: w.prod.id });
    expect(held).toMatchObject({ kind: "rollback", phase: "queued", message: "Waiting for approval (Release manager: 1 more of 1)" });
    await signalDeployment(t.db, actorFor(rm1), { projectId: w.project.id, deploymentId: held.id, type: "abort" });
    await protect(w, w.prod, { stages: [rmStage()], rollbackExemptions: ["approvals"] });
    const fast = await rollbackEnvironment(t.db, actorFor(rm1), { projectId: w.project.id, environmentId: w.prod.id });
    expect(fast.phase).toBe("pending");
    expect((await deploymentGate(t.db, { projectId: w.project.id, deploymentId: fast.id }))?.notes).toEqual(["Rollback: approvals skipped, as this environment's rules allow"]);
  });
});

describe("the inbox", () => {
  it("lists what the person may act on, across projects, newest first, with what they need to decide", async () => {
    const [w1, w2] = [await world(), await world()];
    await protect(w1, w1.prod, { stages: [rmStage()] });
    await protect(w2, w2.staging, { stages: [qaStage, rmStage()] });
    await protect(w2, w2.prod, { stages: [rmStage()] });
    const r1 = await releaseOf(w1);
    await deployAs(developer, w1, w1.prod, r1);
    const r2 = await releaseOf(w2);
    await deployAs(developer, w2, w2.staging, r2);
    const r3 = await releaseOf(w2, { authors: [rm1.email] });
    await deployAs(developer, w2, w2.prod, r3);

    const inbox = await inboxIn(rm1, w1, w2);
    // r2 is in QA's stage, r3 is rm1's own commit: only r1 is rm1's to decide.
    expect(inbox.map((i) => i.release.version)).toEqual([r1.version]);
    const forRm2 = await inboxIn(rm2, w1, w2);
    expect(forRm2.map((i) => i.release.version)).toEqual([r3.version, r1.version]);
    const [item] = inbox;
    expect(item).toMatchObject({
      project: { id: w1.project.id, slug: w1.project.slug },
      environment: { name: "production" },
      release: { version: r1.version, digest: r1.artifactDigest },
      requestedBy: developer.email,
      changes: { from: null, to: { version: r1.version }, authors: [developer.email], files: ["src/app.ts"] },
      run: { status: "running", branch: "main", jobs: expect.arrayContaining([{ key: "test", jobId: "test", name: "test", status: "succeeded" }]) },
      stages: [{ name: "Release manager", count: 1, approvedBy: [] }],
      stageIndex: 0,
      ruleVersion: 1,
      currentRuleVersion: 1,
    });
    expect(item.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(await inboxCount(t.db, outsider)).toBe(0);
    // A site administrator may act as admin anywhere.
    const admin = await createUser(t.db, { isAdmin: true });
    expect((await inboxIn(admin, w1, w2)).map((i) => i.release.version)).toEqual([r3.version, r1.version]);
    const total = await listInbox(t.db, admin, { limit: 1 });
    expect([total.items.length, total.total >= 2]).toEqual([1, true]);
  });

  it("shows the commits and files since what runs there now, and apart, the requests an approver may not decide, with why", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const sha = () => randomBytes(20).toString("hex");
    const live = await releaseOf(w, { commits: [{ sha: sha(), subject: "Already live", author: "Dev", email: developer.email }], files: ["old.ts"] });
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: live.id });
    const first = sha();
    const a = await releaseOf(w, { commits: [{ sha: first, subject: "Add the checkout", author: "Dev", email: developer.email }], files: ["src/a.ts"] });
    const second = sha();
    const b = await releaseOf(w, { authors: [developer.email, rm1.email], commits: [{ sha: second, subject: "Fix the totals", author: "RM One", email: rm1.email }], files: ["src/b.ts", "src/a.ts"] });
    await deployAs(developer, w, w.prod, b);

    const [item] = await inboxIn(rm2, w);
    expect(item.changes).toMatchObject({
      from: { version: live.version },
      to: { version: b.version },
      direction: "forward",
      commits: [
        { sha: second, subject: "Fix the totals", author: "RM One", version: b.version },
        { sha: first, subject: "Add the checkout", author: "Dev", version: a.version },
      ],
      complete: true,
      files: ["src/a.ts", "src/b.ts"],
      fileCount: 2,
    });

    // rm1 wrote a commit of it: not rm1's to decide, and shown apart with the reason.
    const forRm1 = await listInbox(t.db, rm1, { limit: 1000 });
    expect(forRm1.items.filter((i) => i.project.id === w.project.id)).toEqual([]);
    expect(forRm1.waitingForOthers.filter((i) => i.project.id === w.project.id)).toEqual([
      expect.objectContaining({ id: item.id, refusal: "You authored a commit in this change set, so separation of duties does not let you approve it." }),
    ]);
    // Someone who does not approve in this stage is not shown it at all.
    const forDeveloper = await listInbox(t.db, developer, { limit: 1000 });
    expect([...forDeveloper.items, ...forDeveloper.waitingForOthers].filter((i) => i.project.id === w.project.id)).toEqual([]);
  });

  it("going back to an older release lists the commits that would leave", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    const older = await releaseOf(w, { commits: [{ sha: randomBytes(20).toString("hex"), subject: "Old work", author: "Dev", email: developer.email }] });
    const leaving = randomBytes(20).toString("hex");
    const newer = await releaseOf(w, { commits: [{ sha: leaving, subject: "New work", author: "Dev", email: developer.email }] });
    await markLive(t.db, { projectId: w.project.id, environmentId: w.prod.id, releaseId: newer.id });
    await deployAs(developer, w, w.prod, older);

    const [item] = await inboxIn(rm2, w);
    expect(item.changes).toMatchObject({ from: { version: newer.version }, to: { version: older.version }, direction: "back", commits: [{ sha: leaving, subject: "New work" }] });
  });

  it("approves several at once, saying which could not be approved", async () => {
    const w = await world();
    await protect(w, w.prod, { stages: [rmStage()] });
    await protect(w, w.staging, { stages: [rmStage()] });
    // With nothing live yet, each change set runs from the first release: rm1's commit is in the last one only.
    const [x, y] = [await releaseOf(w), await releaseOf(w)];
    const own = await releaseOf(w, { authors: [rm1.email] });
    const dx = await deployAs(developer, w, w.prod, x);
    const dy = await deployAs(developer, w, w.staging, y);
    const ownDeployment = await deployAs(developer, w, w.staging, own);
    const ids = [...(await requestOf(w.prod, x)), ...(await requestOf(w.staging, y)), ...(await requestOf(w.staging, own))].map((r) => r.id);
    const results = await approveMany(t.db, rm1, actorFor(rm1), { projectId: w.project.id, requestIds: ids, comment: "batch" });
    expect(results.map((r) => (r.ok ? "ok" : r.error))).toEqual(["ok", "ok", expect.any(String)]);
    expect(results[2]).toMatchObject({ error: "You authored a commit in this change set, so separation of duties does not let you approve it." });
    expect((await phaseOf(dx.id)).phase).toBe("pending");
    expect((await phaseOf(dy.id)).phase).toBe("pending");
    expect((await phaseOf(ownDeployment.id)).phase).toBe("queued");
  });
});
