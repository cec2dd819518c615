import { randomBytes, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import examples from "@octokit/webhooks-examples";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineRevisions, projectPipelineSettings, runs, webhookDeliveries, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTempDir, createTestRepo, type TestRepo } from "@/server/testing/git-fixtures";
import { listDeliveries, rotateWebhookSecret } from "./webhook-secrets";
import { handleGithubDelivery, type WebhookDeps } from "./webhooks";

const PIPELINE = `on:
  push:
    branches: [main, "feature/**"]
    tags: ["v*"]
    paths-ignore: ["docs/**"]
  pull_request:
    branches: [main]
jobs:
  build:
    steps:
      - run: echo build
`;

let t: TestDatabase;
let owner: User;
let deps: WebhookDeps;

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  deps = { key: randomBytes(32), dataDir: await createTempDir() };
});

afterAll(async () => {
  await t.close();
  await cleanupAllTestRepos();
});

/** A project on a fresh local repository whose main branch has the pipeline, with its webhook secret. */
async function setUp() {
  const repo = await createTestRepo();
  const first = await repo.commit({ ".slipway.yml": PIPELINE, "src/app.ts": "export {};\n" }, "Add the pipeline");
  const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
  const secret = await rotateWebhookSecret(t.db, deps.key, actorFor(owner), project.id);
  return { repo, project, secret, first };
}

/** A real payload from @octokit/webhooks-examples, copied so each test may rewrite it. */
function example<T = Record<string, unknown>>(name: string, pick: (e: Record<string, unknown>) => boolean = () => true): T {
  const definition = examples.find((d) => d.name === name)!;
  return structuredClone((definition.examples as unknown as Record<string, unknown>[]).find(pick)) as T;
}

type Push = { ref: string; before: string; after: string; created: boolean; deleted: boolean; repository: Record<string, unknown> };

function pushPayload(repo: TestRepo, ref: string, before: string | null, after: string): Push {
  const payload = example<Push>("push", (e) => e.ref === "refs/heads/master");
  Object.assign(payload, { ref, before: before ?? "0".repeat(40), after, created: !before, deleted: false });
  Object.assign(payload.repository, { clone_url: repo.dir, full_name: "acme/app", default_branch: "main" });
  return payload;
}

async function github(project: Project, secret: string, event: string, payload: unknown, options: { deliveryId?: string; tamper?: boolean; signature?: string | null } = {}) {
  const rawBody = JSON.stringify(payload);
  const signature = options.signature === undefined ? await sign(secret, rawBody) : options.signature;
  return handleGithubDelivery(
    t.db,
    { slug: project.slug, event, deliveryId: options.deliveryId ?? randomUUID(), signature, contentType: "application/json", rawBody: options.tamper ? rawBody.replace("acme/app", "evil/app") : rawBody },
    deps,
  );
}

const runsOf = (project: Project) => t.db.select().from(runs).where(eq(runs.projectId, project.id)).orderBy(runs.number);

const deliveryRow = async (deliveryId: string) =>
  (await t.db.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.provider, "github"), eq(webhookDeliveries.deliveryId, deliveryId))))[0];

describe("GitHub deliveries", () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    s = await setUp();
  });

  it("answers a signed ping with pong and records it", async () => {
    const deliveryId = randomUUID();
    const result = await github(s.project, s.secret, "ping", example("ping"), { deliveryId });
    expect(result.status).toBe(200);
    expect(result.body.message).toMatch(/^pong/);
    expect(await deliveryRow(deliveryId)).toMatchObject({ outcome: "accepted", event: "ping", projectId: s.project.id });
  });

  it("starts a run for a signed push, with the commit's details", async () => {
    const second = await s.repo.commit({ "src/app.ts": "export const x = 1;\n" }, "Change the app");
    const deliveryId = randomUUID();
    const result = await github(s.project, s.secret, "push", pushPayload(s.repo, "refs/heads/main", s.first, second), { deliveryId });
    expect(result).toMatchObject({ status: 201, body: { outcome: "accepted" } });
    const [run] = await runsOf(s.project);
    expect(run).toMatchObject({ id: result.body.runId, trigger: "push", commitSha: second, branch: "main", secretsAllowed: true });
    expect(run.event).toMatchObject({ ref: "refs/heads/main", before: s.first, message: "Change the app", changedFiles: ["src/app.ts"], deliveryId });
    expect(run.event.author?.email).toBe("ada@example.test");
    expect(await deliveryRow(deliveryId)).toMatchObject({ outcome: "accepted", runId: run.id });
  });

  it("starts no second run for a replayed delivery", async () => {
    const head = await s.repo.commit({ "src/b.ts": "b\n" }, "Another change");
    const deliveryId = randomUUID();
    const payload = pushPayload(s.repo, "refs/heads/main", null, head);
    expect((await github(s.project, s.secret, "push", payload, { deliveryId })).status).toBe(201);
    const before = (await runsOf(s.project)).length;
    const replay = await github(s.project, s.secret, "push", payload, { deliveryId });
    expect(replay).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    expect(replay.body.message).toMatch(/duplicate delivery/);
    expect(await runsOf(s.project)).toHaveLength(before);
  });

  it("refuses a tampered or missing signature with 401, records it, and starts nothing", async () => {
    const before = (await runsOf(s.project)).length;
    const payload = pushPayload(s.repo, "refs/heads/main", null, await s.repo.head());
    const tampered = randomUUID();
    const result = await github(s.project, s.secret, "push", payload, { deliveryId: tampered, tamper: true });
    expect(result).toMatchObject({ status: 401, body: { outcome: "refused" } });
    expect(await deliveryRow(tampered)).toMatchObject({ outcome: "refused", reason: expect.stringMatching(/does not match/) });
    const unsigned = randomUUID();
    expect((await github(s.project, s.secret, "push", payload, { deliveryId: unsigned, signature: null })).status).toBe(401);
    expect((await deliveryRow(unsigned)).reason).toMatch(/no X-Hub-Signature-256/);
    const wrongSecret = await github(s.project, "not-the-secret", "push", payload);
    expect(wrongSecret.status).toBe(401);
    expect(await runsOf(s.project)).toHaveLength(before);
  });

  it("lets the genuine delivery through after a forged one with the same id", async () => {
    const head = await s.repo.commit({ "src/c.ts": "c\n" }, "Third change");
    const payload = pushPayload(s.repo, "refs/heads/main", null, head);
    const deliveryId = randomUUID();
    expect((await github(s.project, s.secret, "push", payload, { deliveryId, signature: "sha256=" + "0".repeat(64) })).status).toBe(401);
    expect((await github(s.project, s.secret, "push", payload, { deliveryId })).status).toBe(201);
  });

  it("skips a push that only touches docs/, saying why", async () => {
    const before = await s.repo.head();
    const docs = await s.repo.commit({ "docs/guide.md": "How to\n" }, "Write docs");
    const deliveryId = randomUUID();
    const count = (await runsOf(s.project)).length;
    const result = await github(s.project, s.secret, "push", pushPayload(s.repo, "refs/heads/main", before, docs), { deliveryId });
    expect(result).toMatchObject({ status: 202, body: { outcome: "ignored", message: "All 1 changed files match on.push.paths-ignore." } });
    expect(await runsOf(s.project)).toHaveLength(count);
    expect(await deliveryRow(deliveryId)).toMatchObject({ outcome: "ignored", reason: "All 1 changed files match on.push.paths-ignore." });
  });

  it("skips a branch the pipeline does not list, and a deleted branch", async () => {
    await s.repo.branch("experiment");
    const sha = await s.repo.commit({ "src/x.ts": "x\n" }, "Try something");
    await s.repo.checkout("main");
    const other = await github(s.project, s.secret, "push", pushPayload(s.repo, "refs/heads/experiment", null, sha));
    expect(other).toMatchObject({ status: 202, body: { message: 'The branch "experiment" matches none of on.push.branches.' } });
    const deleted = { ...pushPayload(s.repo, "refs/heads/experiment", sha, "0".repeat(40)), deleted: true };
    expect(await github(s.project, s.secret, "push", deleted)).toMatchObject({ status: 202, body: { message: 'Branch "experiment" was deleted; nothing to run.' } });
  });

  it("starts one run for a tag, though GitHub reports it as push and as create", async () => {
    const tagged = await s.repo.head();
    await s.repo.tag("v1.0.0", { message: "Release 1.0.0" });
    const tagObject = (await s.repo.git(["rev-parse", "refs/tags/v1.0.0"])).trim();
    const push = example<Push>("push", (e) => e.ref === "refs/tags/simple-tag" && e.created === true);
    Object.assign(push, { ref: "refs/tags/v1.0.0", after: tagObject });
    const create = { ...example("create"), ref: "v1.0.0", ref_type: "tag" };
    const [a, b] = await Promise.all([github(s.project, s.secret, "push", push), github(s.project, s.secret, "create", create)]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect([a, b].find((r) => r.status === 200)!.body).toMatchObject({ outcome: "duplicate" });
    const tagRuns = (await runsOf(s.project)).filter((r) => r.tag === "v1.0.0");
    expect(tagRuns).toHaveLength(1);
    expect(tagRuns[0]).toMatchObject({ trigger: "tag", commitSha: tagged, branch: null });
    expect((await listDeliveries(t.db, s.project.id)).every((d) => d.provider === "github")).toBe(true);
  });

  it("ignores events it does not act on", async () => {
    const result = await github(s.project, s.secret, "issues", { action: "opened" });
    expect(result).toMatchObject({ status: 202, body: { outcome: "ignored" } });
  });

  it("reads a form-encoded delivery", async () => {
    const rawBody = `payload=${encodeURIComponent(JSON.stringify(example("ping")))}`;
    const result = await handleGithubDelivery(
      t.db,
      { slug: s.project.slug, event: "ping", deliveryId: randomUUID(), signature: await sign(s.secret, rawBody), contentType: "application/x-www-form-urlencoded", rawBody },
      deps,
    );
    expect(result.status).toBe(200);
  });

  it("answers 404 for an unknown project", async () => {
    const result = await handleGithubDelivery(t.db, { slug: "no-such-project", event: "ping", deliveryId: "x", signature: null, rawBody: "{}" }, deps);
    expect(result.status).toBe(404);
  });
});

type PullRequest = {
  action: string;
  number: number;
  pull_request: { title: string; head: { ref: string; sha: string; repo: { full_name: string; fork: boolean } }; base: { ref: string; sha: string; repo: { full_name: string } } };
};

describe("GitHub pull requests", () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  let head: string;
  beforeAll(async () => {
    s = await setUp();
    await s.repo.branch("contrib");
    await s.repo.commit({ "src/feature.ts": "feature\n" }, "Add a feature");
    head = await s.repo.commit({ "src/more.ts": "more\n" }, "And more", { name: "Eve Outside", email: "eve@fork.test" });
    await s.repo.checkout("main");
    await s.repo.commit({ "src/main-only.ts": "main\n" }, "Meanwhile on main");
  });

  function prPayload(action: string, fork: boolean): PullRequest {
    const payload = example<PullRequest>("pull_request", (e) => e.action === "opened");
    payload.action = action;
    payload.pull_request.head = { ...payload.pull_request.head, ref: "contrib", sha: head, repo: { ...payload.pull_request.head.repo, full_name: fork ? "stranger/app" : "acme/app", fork } };
    payload.pull_request.base = { ...payload.pull_request.base, ref: "main", sha: s.first, repo: { ...payload.pull_request.base.repo, full_name: "acme/app" } };
    return payload;
  }

  it("runs a pull request from a fork without secrets", async () => {
    const result = await github(s.project, s.secret, "pull_request", prPayload("opened", true));
    expect(result.status).toBe(201);
    const [run] = await t.db.select().from(runs).where(eq(runs.id, result.body.runId!));
    expect(run).toMatchObject({ trigger: "pull_request", commitSha: head, secretsAllowed: false, branch: null });
    expect(run.event.pullRequest).toMatchObject({ number: 2, fromFork: true, headRef: "contrib", baseRef: "main" });
    expect(run.event.changedFiles?.sort()).toEqual(["src/feature.ts", "src/more.ts"]);
    expect(run.event.commitAuthors).toEqual(["ada@example.test", "eve@fork.test"]);
  });

  it("runs a pull request from the same repository with secrets", async () => {
    const result = await github(s.project, s.secret, "pull_request", prPayload("synchronize", false));
    const [run] = await t.db.select().from(runs).where(eq(runs.id, result.body.runId!));
    expect(run.secretsAllowed).toBe(true);
  });

  it("does not run for other actions", async () => {
    const result = await github(s.project, s.secret, "pull_request", prPayload("closed", false));
    expect(result).toMatchObject({ status: 202, body: { message: expect.stringMatching(/"closed" does not start runs/) } });
  });
});

describe("where the pipeline comes from", () => {
  it("answers with a clear reason when the commit has no .slipway.yml", async () => {
    const repo = await createTestRepo();
    const sha = await repo.commit({ "README.md": "no pipeline\n" }, "Start");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    const secret = await rotateWebhookSecret(t.db, deps.key, actorFor(owner), project.id);
    const result = await github(project, secret, "push", pushPayload(repo, "refs/heads/main", null, sha));
    expect(result.status).toBe(202);
    expect(result.body.message).toBe(`No .slipway.yml at commit ${sha.slice(0, 7)} in ${repo.dir}: add one, or edit the pipeline in Slipway.`);
  });

  it("uses the latest revision saved in Slipway when the project keeps its pipeline there", async () => {
    const repo = await createTestRepo();
    const sha = await repo.commit({ "README.md": "no pipeline file\n" }, "Start");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    const secret = await rotateWebhookSecret(t.db, deps.key, actorFor(owner), project.id);
    await t.db.update(projectPipelineSettings).set({ source: "slipway" }).where(eq(projectPipelineSettings.projectId, project.id));
    const [revision] = await t.db.insert(pipelineRevisions).values({ projectId: project.id, number: 1, yaml: PIPELINE }).returning();
    const result = await github(project, secret, "push", pushPayload(repo, "refs/heads/main", null, sha));
    expect(result.status).toBe(201);
    const [run] = await t.db.select().from(runs).where(eq(runs.id, result.body.runId!));
    expect(run).toMatchObject({ pipelineRevisionId: revision.id, commitSha: sha });
  });

  it("answers 422 with the first error when the pipeline does not validate", async () => {
    const repo = await createTestRepo();
    const sha = await repo.commit({ ".slipway.yml": "on: push\njobs: {}\n" }, "Broken pipeline");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    const secret = await rotateWebhookSecret(t.db, deps.key, actorFor(owner), project.id);
    const result = await github(project, secret, "push", pushPayload(repo, "refs/heads/main", null, sha));
    expect(result.status).toBe(422);
    expect(result.body.message).toMatch(/^The pipeline at [0-9a-f]{7} does not validate: line \d+:\d+: /);
  });

  it("refuses every delivery while the project has no webhook secret", async () => {
    const project = await createProjectAs(t.db, owner);
    const result = await handleGithubDelivery(t.db, { slug: project.slug, event: "ping", deliveryId: randomUUID(), signature: "sha256=00", rawBody: "{}" }, deps);
    expect(result).toMatchObject({ status: 401, body: { message: expect.stringMatching(/no webhook secret yet/) } });
  });
});
