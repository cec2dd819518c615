/**
 * Calls every tRPC procedure as every kind of caller and checks the outcome
 * against `procedureAccess`, the one table of who may do what. Each cell gets a
 * fresh project, so an allowed destructive call cannot change what the next
 * cell sees. Adding a procedure without an access rule or a sample input here
 * fails this file.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { AnyTRPCProcedure } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { approvalRequests, environments, jobs, projectMembers, runs, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import type { ProjectRole } from "@/server/schemas/project";
import { loadSecretsKey } from "@/server/services/crypto";
import { setProjectArchived } from "@/server/services/projects";
import { saveRevision } from "@/server/services/pipelines";
import { createRun } from "@/server/services/runs";
import { setSecret } from "@/server/services/secrets";
import { cleanupAllTestRepos, createTestRepo, type TestRepo } from "@/server/testing/git-fixtures";
import { createToken } from "@/server/services/tokens";
import { requestDeployment } from "@/server/services/deployments";
import { addFreezeWindow, setProtectionRules } from "@/server/services/governance-rules";
import { createHook } from "@/server/services/notifications";
import { markLive, seedReleases, uniqueListenPort } from "@/workers/deployer/testing/seed";
import {
  actorFor,
  auditCount,
  callerFor,
  callPath,
  createProjectAs,
  createUser,
  databaseFingerprint,
  trpcErrorOf,
  unique,
} from "@/server/testing/fixtures";
import { procedureAccess, roleAllows, type Access } from "./access";
import { appRouter, createCaller } from "./root";
import { createCallerFactory, procedure, router } from "./trpc";

let t: TestDatabase;

type People = {
  siteAdmin: User;
  owner: User;
  maintainer: User;
  developer: User;
  viewer: User;
  outsider: User;
  spare: User;
  newcomer: User;
};
let people: People;

beforeAll(async () => {
  // Secrets and webhook secrets are encrypted with the installation key, which the routers read from here.
  vi.stubEnv("SLIPWAY_SECRET_KEY", randomBytes(32).toString("hex"));
  vi.stubEnv("SLIPWAY_DATA_DIR", await mkdtemp(path.join(os.tmpdir(), "slipway-matrix-")));
  repo = await createTestRepo();
  sha = await repo.commit({ ".slipway.yml": PIPELINE });
  t = await createTestDatabase();
  const [siteAdmin, owner, maintainer, developer, viewer, outsider, spare, newcomer] = await Promise.all([
    createUser(t.db, { name: "Site Admin", isAdmin: true }),
    createUser(t.db, { name: "Owner" }),
    createUser(t.db, { name: "Maintainer" }),
    createUser(t.db, { name: "Developer" }),
    createUser(t.db, { name: "Viewer" }),
    createUser(t.db, { name: "Outsider" }),
    createUser(t.db, { name: "Spare" }),
    createUser(t.db, { name: "Newcomer" }),
  ]);
  people = { siteAdmin, owner, maintainer, developer, viewer, outsider, spare, newcomer };
});

afterAll(async () => {
  await t.close();
  await cleanupAllTestRepos();
});

const PIPELINE = "on: { manual: {} }\njobs:\n  build: { steps: [ { run: echo hi } ] }\n";
let repo: TestRepo;
let sha: string;

/** A run of the world's project, as a webhook or a person would have started it, optionally already failed. */
async function runIn(world: World, { failed = false } = {}): Promise<string> {
  const run = await createRun(t.db, actorFor(people.owner), {
    projectId: world.project.id,
    trigger: "manual",
    triggeredBy: people.owner.id,
    event: { sha, branch: "main" },
    pipeline: { yaml: PIPELINE },
  });
  if (failed) {
    await t.db.update(jobs).set({ status: "failed", reason: "failed for the matrix" }).where(eq(jobs.runId, run.id));
    await t.db.update(runs).set({ status: "failed", finishedAt: new Date() }).where(eq(runs.id, run.id));
  }
  world.runId = run.id;
  const [job] = await t.db.select({ id: jobs.id }).from(jobs).where(eq(jobs.runId, run.id));
  world.jobId = job.id;
  return run.id;
}

/** A project with one member of each role, and what the sample inputs refer to. */
type World = {
  project: Project;
  environmentIds: string[];
  /** A developer who is not one of the callers: the target of member changes. */
  spare: User;
  /** Someone who has signed in but is not a member: the target of members.add. */
  newcomer: User;
  /** A token owned by the caller, set by tokens.revoke's prepare step. */
  callerTokenId: string;
  /** A run of the project and its job, set by the prepare step of run procedures. */
  runId: string;
  jobId: string;
};

async function buildWorld(): Promise<World> {
  const project = await createProjectAs(t.db, people.owner, { repositoryUrl: repo.dir });
  await t.db.insert(projectMembers).values([
    { projectId: project.id, userId: people.maintainer.id, role: "maintainer" },
    { projectId: project.id, userId: people.developer.id, role: "developer" },
    { projectId: project.id, userId: people.viewer.id, role: "viewer" },
    { projectId: project.id, userId: people.spare.id, role: "developer" },
  ]);
  const envs = await t.db.select().from(environments).where(eq(environments.projectId, project.id)).orderBy(environments.position);
  return { project, environmentIds: envs.map((e) => e.id), spare: people.spare, newcomer: people.newcomer, callerTokenId: randomUUID(), runId: randomUUID(), jobId: randomUUID() };
}

/** Releases (and optionally live or running deployments) of the world's first environment, for the deployment procedures. */
const deploySeeds = new WeakMap<World, { releaseIds: string[]; deploymentId: string }>();
async function seedDeploys(w: World, { live = 0, active = false }: { live?: number; active?: boolean } = {}): Promise<void> {
  const actor = actorFor(people.owner);
  const releases = await seedReleases(t.db, actor, w.project.id, w.environmentIds.slice(0, 2));
  for (const release of releases.slice(0, live)) await markLive(t.db, { projectId: w.project.id, environmentId: w.environmentIds[0], releaseId: release.id });
  const running = active ? await requestDeployment(t.db, actor, { projectId: w.project.id, environmentId: w.environmentIds[0], releaseId: releases[0].id }) : null;
  deploySeeds.set(w, { releaseIds: releases.map((r) => r.id), deploymentId: running?.id ?? randomUUID() });
}

/**
 * A deployment of the world's first environment held by governance, asked for by the spare
 * developer (so no caller is its requester): for approval by a stage any member may approve,
 * or by a freeze window (for the override).
 */
const approvalSeeds = new WeakMap<World, { requestId: string; deploymentId: string; freezeWindowId: string }>();
async function seedApproval(w: World, { freeze = false } = {}): Promise<void> {
  await seedDeploys(w);
  const releaseId = deploySeeds.get(w)!.releaseIds[0];
  const environmentId = w.environmentIds[0];
  const admin = actorFor(people.owner);
  const window = freeze
    ? await addFreezeWindow(t.db, admin, { projectId: w.project.id, environmentId, window: { kind: "once", name: "Matrix freeze", startsAt: new Date(Date.now() - 60_000), endsAt: new Date(Date.now() + 3_600_000) } })
    : null;
  if (!freeze) await setProtectionRules(t.db, admin, { projectId: w.project.id, environmentId, rules: { stages: [{ name: "Any member", count: 1, approvers: { roles: ["viewer"] } }] } });
  const held = await requestDeployment(t.db, actorFor(w.spare), { projectId: w.project.id, environmentId, releaseId });
  const [request] = await t.db.select({ id: approvalRequests.id }).from(approvalRequests).where(eq(approvalRequests.releaseId, releaseId));
  approvalSeeds.set(w, { requestId: request?.id ?? randomUUID(), deploymentId: held.id, freezeWindowId: window?.id ?? randomUUID() });
}

const hookSeeds = new WeakMap<World, string>();
async function seedHook(w: World): Promise<void> {
  const { hook } = await createHook(t.db, loadSecretsKey(), actorFor(people.owner), people.owner, { projectId: w.project.id, name: "Seeded", url: "https://93.184.216.34/hooks/seed", format: "generic", events: ["*"] });
  hookSeeds.set(w, hook.id);
}

type Sample = {
  /** Puts a fresh world in the state the call needs (e.g. archived before unarchive). */
  prepare?: (world: World, caller: User | null) => Promise<void>;
  input: (world: World) => unknown;
};

/** One plausible, valid input per procedure. */
const samples: Record<string, Sample> = {
  "me.get": { input: () => undefined },

  "projects.list": { input: () => ({ includeArchived: true }) },
  "projects.create": { input: () => ({ name: "Matrix app", slug: unique("matrix"), repositoryUrl: "https://git.example.test/m.git" }) },
  "projects.get": { input: (w) => ({ projectId: w.project.id }) },
  "projects.update": { input: (w) => ({ projectId: w.project.id, description: "Updated by the role matrix" }) },
  "projects.archive": { input: (w) => ({ projectId: w.project.id }) },
  "projects.unarchive": {
    prepare: async (w) => {
      await setProjectArchived(t.db, actorFor(people.owner), w.project.id, true);
    },
    input: (w) => ({ projectId: w.project.id }),
  },

  "members.list": { input: (w) => ({ projectId: w.project.id }) },
  "members.add": { input: (w) => ({ projectId: w.project.id, email: w.newcomer.email, role: "viewer" }) },
  "members.updateRole": { input: (w) => ({ projectId: w.project.id, userId: w.spare.id, role: "viewer" }) },
  "members.remove": { input: (w) => ({ projectId: w.project.id, userId: w.spare.id }) },

  "environments.list": { input: (w) => ({ projectId: w.project.id }) },
  "environments.create": { input: (w) => ({ projectId: w.project.id, name: "qa", description: "Quality assurance" }) },
  "environments.update": {
    input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0], description: "Changed", variables: { LOG_LEVEL: "debug" } }),
  },
  "environments.reorder": { input: (w) => ({ projectId: w.project.id, environmentIds: [...w.environmentIds].reverse() }) },
  "environments.deletionImpact": { input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0] }) },
  "environments.delete": { input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0], confirmName: "development" }) },

  "tokens.list": { input: () => undefined },
  "tokens.create": { input: () => ({ name: "CI", scope: "read", expiresInDays: 30 }) },
  "tokens.revoke": {
    prepare: async (w, caller) => {
      if (caller) w.callerTokenId = (await createToken(t.db, actorFor(caller), { name: "to revoke", scope: "write", expiresInDays: 7 })).record.id;
    },
    input: (w) => ({ tokenId: w.callerTokenId }),
  },

  "secrets.list": { input: (w) => ({ projectId: w.project.id }) },
  "secrets.set": { input: (w) => ({ projectId: w.project.id, name: "MATRIX_TOKEN", value: "matrix-value" }) },
  "secrets.delete": {
    prepare: async (w) => {
      await setSecret(t.db, loadSecretsKey(), actorFor(people.owner), { projectId: w.project.id, name: "MATRIX_TOKEN", value: "matrix-value" });
    },
    input: (w) => ({ projectId: w.project.id, name: "MATRIX_TOKEN" }),
  },

  "webhooks.settings": { input: (w) => ({ projectId: w.project.id }) },
  "webhooks.rotateSecret": { input: (w) => ({ projectId: w.project.id }) },

  "runs.list": { input: (w) => ({ projectId: w.project.id }) },
  "runs.get": { prepare: async (w) => void (await runIn(w)), input: (w) => ({ projectId: w.project.id, runId: w.runId }) },
  "runs.log": {
    prepare: async (w) => void (await runIn(w)),
    input: (w) => ({ projectId: w.project.id, runId: w.runId, jobId: w.jobId }),
  },
  "runs.start": { input: (w) => ({ projectId: w.project.id, ref: "main" }) },
  "runs.cancel": { prepare: async (w) => void (await runIn(w)), input: (w) => ({ projectId: w.project.id, runId: w.runId }) },
  "runs.rerunFailed": { prepare: async (w) => void (await runIn(w, { failed: true })), input: (w) => ({ projectId: w.project.id, runId: w.runId }) },
  "runs.rerunJob": {
    prepare: async (w) => void (await runIn(w, { failed: true })),
    input: (w) => ({ projectId: w.project.id, runId: w.runId, jobKey: "build" }),
  },

  "pipelines.get": { input: (w) => ({ projectId: w.project.id }) },
  "pipelines.validate": { input: (w) => ({ projectId: w.project.id, yaml: PIPELINE }) },
  "pipelines.revisions": { input: (w) => ({ projectId: w.project.id }) },
  "pipelines.revision": { prepare: async (w) => void (await saveRevision(t.db, actorFor(people.owner), { projectId: w.project.id, yaml: PIPELINE, message: "", positions: {} })), input: (w) => ({ projectId: w.project.id, number: 1 }) },
  "pipelines.save": { input: (w) => ({ projectId: w.project.id, yaml: PIPELINE, message: "from the matrix" }) },
  "pipelines.restore": { prepare: async (w) => void (await saveRevision(t.db, actorFor(people.owner), { projectId: w.project.id, yaml: PIPELINE, message: "", positions: {} })), input: (w) => ({ projectId: w.project.id, number: 1 }) },
  "pipelines.setSource": { input: (w) => ({ projectId: w.project.id, source: "slipway" }) },

  "releases.list": { input: (w) => ({ projectId: w.project.id }) },
  "releases.get": { prepare: (w) => seedDeploys(w), input: (w) => ({ projectId: w.project.id, releaseId: deploySeeds.get(w)!.releaseIds[0] }) },
  "deployments.board": { prepare: (w) => seedDeploys(w, { live: 1 }), input: (w) => ({ projectId: w.project.id }) },
  "deployments.preview": {
    prepare: (w) => seedDeploys(w, { live: 1 }),
    input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0], releaseId: deploySeeds.get(w)!.releaseIds[1], kind: "deploy" }),
  },
  "deployments.list": { input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0] }) },
  "deployments.get": { prepare: (w) => seedDeploys(w, { active: true }), input: (w) => ({ projectId: w.project.id, deploymentId: deploySeeds.get(w)!.deploymentId }) },
  "deployments.target": { input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0] }) },
  "deployments.deploy": { prepare: (w) => seedDeploys(w), input: (w) => ({ projectId: w.project.id, releaseId: deploySeeds.get(w)!.releaseIds[0], environmentId: w.environmentIds[0] }) },
  "deployments.promote": {
    prepare: (w) => seedDeploys(w, { live: 1 }),
    input: (w) => ({ projectId: w.project.id, releaseId: deploySeeds.get(w)!.releaseIds[0], fromEnvironmentId: w.environmentIds[0] }),
  },
  "deployments.rollback": { prepare: (w) => seedDeploys(w, { live: 2 }), input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0] }) },
  "deployments.pause": { prepare: (w) => seedDeploys(w, { active: true }), input: (w) => ({ projectId: w.project.id, deploymentId: deploySeeds.get(w)!.deploymentId }) },
  "deployments.resume": { prepare: (w) => seedDeploys(w, { active: true }), input: (w) => ({ projectId: w.project.id, deploymentId: deploySeeds.get(w)!.deploymentId }) },
  "deployments.promoteNow": { prepare: (w) => seedDeploys(w, { active: true }), input: (w) => ({ projectId: w.project.id, deploymentId: deploySeeds.get(w)!.deploymentId }) },
  "deployments.abort": { prepare: (w) => seedDeploys(w, { active: true }), input: (w) => ({ projectId: w.project.id, deploymentId: deploySeeds.get(w)!.deploymentId }) },
  "deployments.setTarget": {
    input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[1], settings: { target: { kind: "local", command: ["node", "app.js"], listenPort: uniqueListenPort() } } }),
  },

  "approvals.inbox": { input: () => ({ limit: 50 }) },
  "approvals.count": { input: () => undefined },
  "approvals.get": { prepare: (w) => seedApproval(w), input: (w) => ({ projectId: w.project.id, requestId: approvalSeeds.get(w)!.requestId }) },
  "approvals.list": { input: (w) => ({ projectId: w.project.id }) },
  "approvals.gate": { prepare: (w) => seedApproval(w), input: (w) => ({ projectId: w.project.id, deploymentId: approvalSeeds.get(w)!.deploymentId }) },
  "approvals.approve": { prepare: (w) => seedApproval(w), input: (w) => ({ projectId: w.project.id, requestId: approvalSeeds.get(w)!.requestId, comment: "from the matrix" }) },
  "approvals.reject": { prepare: (w) => seedApproval(w), input: (w) => ({ projectId: w.project.id, requestId: approvalSeeds.get(w)!.requestId, comment: "not from the matrix" }) },
  "approvals.bulkApprove": { prepare: (w) => seedApproval(w), input: (w) => ({ projectId: w.project.id, requestIds: [approvalSeeds.get(w)!.requestId] }) },

  "governance.rules": { input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0] }) },
  "governance.preview": { prepare: (w) => seedDeploys(w), input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0], releaseId: deploySeeds.get(w)!.releaseIds[0], kind: "promotion" }) },
  "governance.ruleVersions": { input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[0] }) },
  "governance.setRules": {
    input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[2], rules: { stages: [{ name: "Release manager", count: 1, approvers: { roles: ["maintainer"] } }], waitTimerMinutes: 5 } }),
  },
  "governance.freezeWindows": { input: (w) => ({ projectId: w.project.id }) },
  "governance.addFreezeWindow": {
    input: (w) => ({ projectId: w.project.id, environmentId: w.environmentIds[2], window: { kind: "recurring", name: "Weekend", cron: "0 18 * * FRI", timezone: "Europe/Berlin", durationMinutes: 3780 } }),
  },
  "governance.removeFreezeWindow": { prepare: (w) => seedApproval(w, { freeze: true }), input: (w) => ({ projectId: w.project.id, freezeWindowId: approvalSeeds.get(w)!.freezeWindowId }) },
  "governance.overrideFreeze": {
    prepare: (w) => seedApproval(w, { freeze: true }),
    input: (w) => ({ projectId: w.project.id, deploymentId: approvalSeeds.get(w)!.deploymentId, reason: "Hotfix for the matrix outage" }),
  },
  "governance.groups": { input: (w) => ({ projectId: w.project.id }) },
  "governance.setGroup": { input: (w) => ({ projectId: w.project.id, name: "qa", userIds: [w.spare.id] }) },

  // A public address written as an IP, so no name is resolved.
  "notifications.hooks": { input: (w) => ({ projectId: w.project.id }) },
  "notifications.createHook": { input: (w) => ({ projectId: w.project.id, name: "Chat", url: "https://93.184.216.34/hooks/matrix", format: "slack", events: ["approval.*"] }) },
  "notifications.deleteHook": { prepare: (w) => seedHook(w), input: (w) => ({ projectId: w.project.id, hookId: hookSeeds.get(w)! }) },
  "notifications.deliveries": { prepare: (w) => seedHook(w), input: (w) => ({ projectId: w.project.id, hookId: hookSeeds.get(w)! }) },

  "audit.list": { input: (w) => ({ projectId: w.project.id }) },
  "audit.listAll": { input: () => ({}) },
  "audit.verify": { input: () => undefined },
  "audit.export": { input: (w) => ({ projectId: w.project.id, format: "signed" }) },
  "audit.exportAll": { input: () => ({ format: "csv", action: "project." }) },
  "audit.signingKey": { input: () => undefined },
};

type CallerKind = {
  name: string;
  user: (p: People) => User | null;
  /** The caller's role in the world's project (null when not a member). */
  role: ProjectRole | null;
  tokenScope: "read" | "write" | null;
};

const callerKinds: CallerKind[] = [
  { name: "an anonymous visitor", user: () => null, role: null, tokenScope: null },
  { name: "a signed-in non-member", user: (p) => p.outsider, role: null, tokenScope: null },
  { name: "a viewer", user: (p) => p.viewer, role: "viewer", tokenScope: null },
  { name: "a developer", user: (p) => p.developer, role: "developer", tokenScope: null },
  { name: "a maintainer", user: (p) => p.maintainer, role: "maintainer", tokenScope: null },
  { name: "a project admin", user: (p) => p.owner, role: "admin", tokenScope: null },
  { name: "a site admin", user: (p) => p.siteAdmin, role: null, tokenScope: null },
  { name: "a project admin's read-only API token", user: (p) => p.owner, role: "admin", tokenScope: "read" },
];

const procedures = appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>;
const procedurePaths = Object.keys(procedures).sort();
const typeOf = (path: string) => procedures[path]._def.type;

function expectedAllowed(rule: Access, type: string, kind: CallerKind, user: User | null): boolean {
  if (!user) return false;
  if (type === "mutation" && kind.tokenScope === "read") return false;
  switch (rule.kind) {
    case "signedIn":
      return true;
    case "siteAdmin":
      return user.isAdmin;
    case "project":
      return user.isAdmin || roleAllows(kind.role, rule.role);
  }
}

describe("the access table", () => {
  it("has exactly one rule for every procedure the API serves", () => {
    expect(procedurePaths.length).toBeGreaterThan(0);
    expect(Object.keys(procedureAccess).sort()).toEqual(procedurePaths);
  });

  it("has a sample input in this test for every procedure", () => {
    expect(Object.keys(samples).sort()).toEqual(procedurePaths);
  });

  it("refuses a procedure that has no rule, even to a site admin", async () => {
    const ghostRouter = router({ ghost: router({ peek: procedure.query(() => "secret") }) });
    const caller = createCallerFactory(ghostRouter)({ db: t.db, user: people.siteAdmin, ip: null, via: "session", tokenScope: null });
    const error = await trpcErrorOf(caller.ghost.peek());
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toBe("No access rule is defined for ghost.peek.");
  });
});

let sharedWorld: World;

describe.each(procedurePaths)("%s", (path) => {
  beforeAll(async () => {
    sharedWorld ??= await buildWorld();
  });

  it.each(callerKinds.map((kind) => [kind.name, kind] as const))("as %s", async (_name, kind) => {
    const sample = samples[path];
    if (!sample) throw new Error(`No sample input for ${path}: add one to the samples table.`);
    const rule = procedureAccess[path];
    const user = kind.user(people);
    const type = typeOf(path);
    const allowed = expectedAllowed(rule, type, kind, user);

    // Refused calls and queries are shown to change nothing, so they share one project;
    // an allowed change, or a call that needs set-up, gets a project of its own.
    const world = (allowed && type === "mutation") || sample.prepare ? await buildWorld() : sharedWorld;
    await sample.prepare?.(world, user);
    const input = sample.input(world);
    const caller = callerFor(t.db, user, { tokenScope: kind.tokenScope, via: kind.tokenScope ? `token:${randomUUID()}` : "session" });
    const auditBefore = await auditCount(t.db);
    const before = allowed && type === "mutation" ? null : await databaseFingerprint(t.db);

    if (allowed) {
      const outcome = await callPath(caller, path, input).then(
        () => "succeeded",
        (error: unknown) => error,
      );
      expect(outcome, `${kind.name} should be allowed to call ${path}`).toBe("succeeded");
      if (type === "mutation") {
        // Every change leaves exactly one audit event.
        expect(await auditCount(t.db)).toBe(auditBefore + 1);
      } else {
        expect(await databaseFingerprint(t.db)).toEqual(before);
      }
    } else {
      const error = await trpcErrorOf(callPath(caller, path, input));
      expect(error.code).toBe(user ? "FORBIDDEN" : "UNAUTHORIZED");
      expect(error.message.length).toBeGreaterThan(10);
      // A refused call changed nothing: no row anywhere, and no audit event.
      expect(await auditCount(t.db)).toBe(auditBefore);
      expect(await databaseFingerprint(t.db)).toEqual(before);
    }
  });
});

describe("refusals say why", () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  });

  it("tells an anonymous caller how to authenticate", async () => {
    const error = await trpcErrorOf(callerFor(t.db, null).me.get());
    expect(error.code).toBe("UNAUTHORIZED");
    expect(error.message).toMatch(/Sign in first, or send an API token/);
  });

  it("passes on why a presented token was refused instead of a bare 401", async () => {
    const caller = createCaller({ db: t.db, user: null, ip: null, via: "session", tokenScope: null, authError: "This API token was revoked." });
    const error = await trpcErrorOf(caller.projects.list());
    expect(error.code).toBe("UNAUTHORIZED");
    expect(error.message).toBe("This API token was revoked.");
  });

  it("tells a non-member which project they are not in", async () => {
    const error = await trpcErrorOf(callerFor(t.db, people.outsider).projects.get({ projectId: world.project.id }));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toBe(`You are not a member of the project "${world.project.name}".`);
  });

  it("tells a member which role the action needs and which they have", async () => {
    const error = await trpcErrorOf(
      callerFor(t.db, people.viewer).environments.create({ projectId: world.project.id, name: "qa", description: "" }),
    );
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toBe(`This needs the maintainer role in "${world.project.name}"; you are a viewer.`);
  });

  it("tells a read-only token user to create a read-write token", async () => {
    const error = await trpcErrorOf(
      callerFor(t.db, people.owner, { tokenScope: "read" }).projects.update({ projectId: world.project.id, description: "nope" }),
    );
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toMatch(/read-only; create a read-write token/);
  });

  it("lets a read-only token read", async () => {
    const project = await callerFor(t.db, people.owner, { tokenScope: "read" }).projects.get({ projectId: world.project.id });
    expect(project.id).toBe(world.project.id);
    expect(project.role).toBe("admin");
  });
});

describe("addressing a project by slug", () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  });

  it("lets a viewer open the project by its slug and shows their role", async () => {
    const project = await callerFor(t.db, people.viewer).projects.get({ projectSlug: world.project.slug });
    expect(project.id).toBe(world.project.id);
    expect(project.role).toBe("viewer");
  });

  it("refuses a non-member who knows the slug", async () => {
    const error = await trpcErrorOf(callerFor(t.db, people.outsider).projects.get({ projectSlug: world.project.slug }));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("says an unknown slug does not exist", async () => {
    const error = await trpcErrorOf(callerFor(t.db, people.viewer).projects.get({ projectSlug: "no-such-project" }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toBe('There is no project "no-such-project".');
  });

  it("shows a site admin every project with the admin role", async () => {
    const project = await callerFor(t.db, people.siteAdmin).projects.get({ projectSlug: world.project.slug });
    expect(project.role).toBe("admin");
  });
});

describe("a role in one project gives no power over another", () => {
  let mine: World;
  let theirs: World;
  let attacker: User;
  /** An admin of `theirs` only. */
  let victim: User;

  beforeAll(async () => {
    [attacker, victim] = await Promise.all([createUser(t.db, { name: "Attacker" }), createUser(t.db, { name: "Victim" })]);
    mine = await buildWorld();
    theirs = await buildWorld();
    await t.db.insert(projectMembers).values([
      { projectId: mine.project.id, userId: attacker.id, role: "admin" },
      { projectId: theirs.project.id, userId: victim.id, role: "admin" },
    ]);
  });

  it("cannot delete another project's environment by naming its own project", async () => {
    const before = await databaseFingerprint(t.db);
    const error = await trpcErrorOf(
      callerFor(t.db, attacker).environments.delete({
        projectId: mine.project.id,
        environmentId: theirs.environmentIds[0],
        confirmName: "development",
      }),
    );
    expect(error.code).toBe("NOT_FOUND");
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("cannot rename another project's environment by naming its own project", async () => {
    const error = await trpcErrorOf(
      callerFor(t.db, attacker).environments.update({ projectId: mine.project.id, environmentId: theirs.environmentIds[2], name: "pwned" }),
    );
    expect(error.code).toBe("NOT_FOUND");
    const [env] = await t.db.select().from(environments).where(eq(environments.id, theirs.environmentIds[2]));
    expect(env.name).toBe("production");
  });

  it("cannot remove or demote another project's member by naming its own project", async () => {
    const caller = callerFor(t.db, attacker);
    const before = await databaseFingerprint(t.db);
    const removal = await trpcErrorOf(caller.members.remove({ projectId: mine.project.id, userId: victim.id }));
    expect(removal.code).toBe("NOT_FOUND");
    const demotion = await trpcErrorOf(caller.members.updateRole({ projectId: mine.project.id, userId: victim.id, role: "viewer" }));
    expect(demotion.code).toBe("NOT_FOUND");
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("cannot revoke someone else's API token", async () => {
    const { record } = await createToken(t.db, actorFor(people.owner), { name: "owner's", scope: "write", expiresInDays: 7 });
    const error = await trpcErrorOf(callerFor(t.db, attacker).tokens.revoke({ tokenId: record.id }));
    expect(error.code).toBe("NOT_FOUND");
    const tokens = await callerFor(t.db, people.owner).tokens.list();
    expect(tokens.find((tk) => tk.id === record.id)?.revokedAt).toBeNull();
  });

  it("cannot read another project's audit trail through its own", async () => {
    const events = await callerFor(t.db, attacker).audit.list({ projectId: mine.project.id, limit: 500 });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.projectId === mine.project.id)).toBe(true);
  });
});
