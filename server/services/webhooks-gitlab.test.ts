import { randomBytes, randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runs, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTempDir, createTestRepo, type TestRepo } from "@/server/testing/git-fixtures";
import { listDeliveries, rotateWebhookSecret } from "./webhook-secrets";
import { handleGitlabDelivery, type WebhookDeps } from "./webhooks";

const PIPELINE = `on:
  push:
    branches: [main]
    tags: ["v*"]
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

async function setUp() {
  const repo = await createTestRepo();
  const first = await repo.commit({ ".slipway.yml": PIPELINE, "src/app.ts": "export {};\n" }, "Add the pipeline");
  const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
  const secret = await rotateWebhookSecret(t.db, deps.key, actorFor(owner), project.id);
  return { repo, project, secret, first };
}

function gitlabPush(repo: TestRepo, kind: "push" | "tag_push", ref: string, before: string, after: string) {
  // The shape of GitLab's documented Push Hook, trimmed to what a real one always has.
  return {
    object_kind: kind,
    event_name: kind,
    before,
    after,
    ref,
    checkout_sha: after,
    user_username: "jsmith",
    project_id: 15,
    project: { name: "app", default_branch: "main", git_http_url: repo.dir, path_with_namespace: "acme/app" },
    commits: [],
    total_commits_count: 1,
    repository: { name: "app", url: repo.dir },
  };
}

describe("GitLab deliveries", () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    s = await setUp();
  });

  const gitlab = (event: string, payload: unknown, token: string | null, eventUuid: string | null = randomUUID()) =>
    handleGitlabDelivery(t.db, { slug: s.project.slug, event, eventUuid, token, rawBody: JSON.stringify(payload) }, deps);

  it("starts a run for a push with the right token, once per event id", async () => {
    const head = await s.repo.commit({ "src/gl.ts": "gl\n" }, "GitLab change");
    const uuid = randomUUID();
    const payload = gitlabPush(s.repo, "push", "refs/heads/main", s.first, head);
    const result = await gitlab("Push Hook", payload, s.secret, uuid);
    expect(result.status).toBe(201);
    const [run] = await t.db.select().from(runs).where(eq(runs.id, result.body.runId!));
    expect(run).toMatchObject({ trigger: "push", commitSha: head, branch: "main" });
    expect((await gitlab("Push Hook", payload, s.secret, uuid)).body.outcome).toBe("duplicate");
  });

  it("refuses a wrong or missing token and records it", async () => {
    const payload = gitlabPush(s.repo, "push", "refs/heads/main", s.first, await s.repo.head());
    expect((await gitlab("Push Hook", payload, "wrong-token")).status).toBe(401);
    expect((await gitlab("Push Hook", payload, null)).status).toBe(401);
    const refused = (await listDeliveries(t.db, s.project.id)).filter((d) => d.provider === "gitlab" && d.outcome === "refused");
    expect(refused.map((d) => d.reason).sort()).toEqual([
      "The X-Gitlab-Token does not match this project's webhook secret.",
      "The delivery has no X-Gitlab-Token header: set the webhook's secret token in GitLab.",
    ]);
  });

  it("starts a tag run for a Tag Push Hook and tells a delivery without an event id by its body", async () => {
    const sha = await s.repo.tag("v2.0.0");
    const payload = gitlabPush(s.repo, "tag_push", "refs/tags/v2.0.0", "0".repeat(40), sha);
    const result = await gitlab("Tag Push Hook", payload, s.secret, null);
    expect(result.status).toBe(201);
    expect((await gitlab("Tag Push Hook", payload, s.secret, null)).body.outcome).toBe("duplicate");
  });
});
