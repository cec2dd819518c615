import { randomBytes } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditEvents, projectPipelineSettings, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, addMemberDirect, callerFor, createProjectAs, createUser, rejectionOf, trpcErrorOf } from "@/server/testing/fixtures";
import { DecryptionError } from "./crypto";
import { readWebhookSecret, rotateWebhookSecret, webhookKeyFrom } from "./webhook-secrets";

let t: TestDatabase;
let owner: User;
let project: Project;
const master = randomBytes(32);
const key = webhookKeyFrom(master);

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  project = await createProjectAs(t.db, owner);
  vi.stubEnv("SLIPWAY_SECRET_KEY", master.toString("hex"));
  vi.stubEnv("SLIPWAY_URL", "https://ci.example.test/");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
});

describe("the webhook secret", () => {
  it("is stored encrypted, replaced on rotation, and audited without its value", async () => {
    const first = await rotateWebhookSecret(t.db, key, actorFor(owner), project.id);
    const second = await rotateWebhookSecret(t.db, key, actorFor(owner), project.id);
    expect(first).not.toBe(second);
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await readWebhookSecret(t.db, key, project.id)).toBe(second);
    const [row] = await t.db.select().from(projectPipelineSettings).where(eq(projectPipelineSettings.projectId, project.id));
    expect(row.webhookSecretEncrypted).not.toContain(second);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, project.id), eq(auditEvents.action, "webhook.rotate_secret")))
      .orderBy(desc(auditEvents.seq))
      .limit(1);
    expect(event).toMatchObject({ before: { secretSet: true }, after: { secretSet: true }, actorId: owner.id });
    expect(JSON.stringify(event)).not.toContain(second);
  });

  it("does not decrypt on another project's row, or under another key", async () => {
    const other = await createProjectAs(t.db, owner);
    const [row] = await t.db.select().from(projectPipelineSettings).where(eq(projectPipelineSettings.projectId, project.id));
    await t.db.insert(projectPipelineSettings).values({ projectId: other.id, webhookSecretEncrypted: row.webhookSecretEncrypted });
    expect(await rejectionOf(readWebhookSecret(t.db, key, other.id))).toBeInstanceOf(DecryptionError);
    expect(await rejectionOf(readWebhookSecret(t.db, webhookKeyFrom(randomBytes(32)), project.id))).toBeInstanceOf(DecryptionError);
  });
});

describe("the webhooks router", () => {
  it("shows maintainers the payload URLs and deliveries, never the secret", async () => {
    const maintainer = await createUser(t.db);
    await addMemberDirect(t.db, project.id, maintainer.id, "maintainer");
    const settings = await callerFor(t.db, maintainer).webhooks.settings({ projectId: project.id });
    expect(settings.urls).toEqual({
      github: `https://ci.example.test/api/webhooks/github/${project.slug}`,
      gitlab: `https://ci.example.test/api/webhooks/gitlab/${project.slug}`,
    });
    expect(settings.secretSet).toBe(true);
    expect(JSON.stringify(settings)).not.toContain(await readWebhookSecret(t.db, key, project.id));
    const error = await trpcErrorOf(callerFor(t.db, maintainer).webhooks.rotateSecret({ projectId: project.id }));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("lets an admin rotate the secret and returns the new one once", async () => {
    const { secret, urls } = await callerFor(t.db, owner).webhooks.rotateSecret({ projectId: project.id });
    expect(await readWebhookSecret(t.db, key, project.id)).toBe(secret);
    expect(urls.github).toMatch(/\/api\/webhooks\/github\//);
  });
});
