import { randomBytes, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { webhookKeyFrom, rotateWebhookSecret } from "@/server/services/webhook-secrets";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTempDir } from "@/server/testing/git-fixtures";
import { POST as github } from "./route";
import { POST as gitlab } from "../../gitlab/[slug]/route";

let t: TestDatabase;
let slug: string;
let secret: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const master = randomBytes(32);
  vi.stubEnv("DATABASE_URL", t.url);
  vi.stubEnv("SLIPWAY_SECRET_KEY", master.toString("hex"));
  vi.stubEnv("SLIPWAY_DATA_DIR", await createTempDir());
  const owner = await createUser(t.db);
  const project = await createProjectAs(t.db, owner);
  slug = project.slug;
  secret = await rotateWebhookSecret(t.db, webhookKeyFrom(master), actorFor(owner), project.id);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
  await cleanupAllTestRepos();
});

const params = (s: string) => ({ params: Promise.resolve({ slug: s }) });

describe("the webhook routes", () => {
  it("pass GitHub's raw body and headers to the service", async () => {
    // Spacing and key order a re-serialisation would change: the signature covers these exact bytes.
    const body = '{ "zen":  "Keep it logically awesome.",\n "hook_id": 1 }';
    const request = new Request(`http://slipway.test/api/webhooks/github/${slug}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": await sign(secret, body) },
      body,
    });
    const response = await github(request, params(slug));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: "accepted", message: expect.stringMatching(/^pong/) });
  });

  it("answer 401 to a bad signature and 404 to an unknown project", async () => {
    const headers = { "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": "sha256=" + "a".repeat(64) };
    const refused = await github(new Request("http://slipway.test/x", { method: "POST", headers, body: "{}" }), params(slug));
    expect(refused.status).toBe(401);
    const missing = await github(new Request("http://slipway.test/x", { method: "POST", headers, body: "{}" }), params("nobody-here"));
    expect(missing.status).toBe(404);
  });

  it("compare GitLab's token", async () => {
    const request = (token: string) =>
      new Request("http://slipway.test/x", { method: "POST", headers: { "x-gitlab-event": "Note Hook", "x-gitlab-token": token }, body: "{}" });
    expect((await gitlab(request("wrong"), params(slug))).status).toBe(401);
    expect((await gitlab(request(secret), params(slug))).status).toBe(202);
  });

  it("refuse a body larger than any git host sends", async () => {
    const request = new Request("http://slipway.test/x", { method: "POST", headers: { "content-length": String(26 * 1024 * 1024) }, body: "{}" });
    expect((await github(request, params(slug))).status).toBe(413);
  });
});
