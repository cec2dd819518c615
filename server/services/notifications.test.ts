import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvalRequests, auditEvents, notificationDeliveries, notificationHooks, projectMembers, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { verifySignature } from "@/server/governance/webhooks";
import { actorFor, createProjectAs, createUser, rejectionOf } from "@/server/testing/fixtures";
import { seedReleases } from "@/workers/deployer/testing/seed";
import { decryptText } from "./crypto";
import { decideApproval } from "./approvals";
import { requestDeployment } from "./deployments";
import { ForbiddenError, InvalidInputError } from "./errors";
import { setProtectionRules } from "./governance-rules";
import { createHook, deliverDue, emitNotification, listDeliveries } from "./notifications";

/** Outgoing webhooks against a real receiver on loopback (allowed for these hooks by a site administrator). */
let t: TestDatabase;
let admin: User;
let owner: User;
const key = randomBytes(32);
let receiver: http.Server;
let receiverUrl: string;
const received: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
/** Statuses the receiver answers with, in order (then 200). */
const answers: number[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await createUser(t.db, { isAdmin: true });
  owner = await createUser(t.db);
  receiver = http.createServer((request, response) => {
    let body = "";
    request.on("data", (c) => (body += c));
    request.on("end", () => {
      received.push({ url: request.url ?? "", headers: request.headers, body });
      response.statusCode = answers.shift() ?? 200;
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await t.close();
});

async function project() {
  const p = await createProjectAs(t.db, owner);
  await t.db.insert(projectMembers).values({ projectId: p.id, userId: admin.id, role: "admin" });
  return p;
}

describe("webhooks", () => {
  it("refuse private and loopback destinations unless a site administrator allows them", async () => {
    const p = await project();
    const base = { projectId: p.id, name: "Chat", format: "generic" as const, events: ["approval.*"] };
    for (const url of [receiverUrl, "http://localhost:9/hook", "http://[::1]/x", "http://169.254.169.254/latest/meta-data", "http://10.0.0.8/x"]) {
      const error = (await rejectionOf(createHook(t.db, key, actorFor(owner), owner, { ...base, url }))) as InvalidInputError;
      expect(error, url).toBeInstanceOf(InvalidInputError);
      expect(error.message).toMatch(/webhooks to private or loopback addresses are refused unless a Slipway administrator allows them/);
    }
    expect(await rejectionOf(createHook(t.db, key, actorFor(owner), owner, { ...base, url: receiverUrl, allowPrivate: true }))).toBeInstanceOf(ForbiddenError);
    await expect(createHook(t.db, key, actorFor(owner), owner, { ...base, url: "ftp://example.test/x" })).rejects.toThrow("A webhook URL starts with https:// (or http://).");
    await expect(createHook(t.db, key, actorFor(owner), owner, { ...base, url: "https://93.184.216.34/x", events: ["nope"] })).rejects.toThrow(/^Unknown event nope/);
    const { hook, secret } = await createHook(t.db, key, actorFor(admin), admin, { ...base, url: receiverUrl, allowPrivate: true });
    expect(hook).toMatchObject({ allowPrivate: true, events: ["approval.*"] });
    expect(hook).not.toHaveProperty("secretEncrypted");
    const [stored] = await t.db.select().from(notificationHooks).where(eq(notificationHooks.id, hook.id));
    expect(decryptText(key, stored.secretEncrypted, `hook:${hook.id}`)).toBe(secret);
    const [audit] = await t.db.select().from(auditEvents).where(eq(auditEvents.objectId, hook.id));
    expect(JSON.stringify(audit.after)).not.toContain(secret);
  });

  it("send an approval request, signed, in each format, with a link that lands on it", async () => {
    const p = await project();
    const hooks = await Promise.all(
      (["generic", "slack", "teams"] as const).map((format) => createHook(t.db, key, actorFor(admin), admin, { projectId: p.id, name: format, url: `${receiverUrl}?f=${format}`, format, events: ["approval.requested"], allowPrivate: true })),
    );
    const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, p.id), orderBy: (e, { asc }) => asc(e.position) });
    const [release] = await seedReleases(t.db, actorFor(owner), p.id, [envs[2].id], ["3.1.0"]);
    await setProtectionRules(t.db, actorFor(owner), { projectId: p.id, environmentId: envs[2].id, rules: { stages: [{ name: "Release manager", count: 1, approvers: { roles: ["admin"] } }] } });
    received.length = 0;
    await requestDeployment(t.db, actorFor(owner), { projectId: p.id, environmentId: envs[2].id, releaseId: release.id });
    expect(await deliverDue(t.db, { key, baseUrl: "https://slipway.example.test" })).toEqual({ delivered: 3, failed: 0, retrying: 0 });
    expect(received).toHaveLength(3);
    for (const { url, headers, body } of received) {
      const hook = hooks.find((h) => url.endsWith(`?f=${h.hook.format}`))!;
      expect(headers["x-slipway-event"]).toBe("approval.requested");
      expect(verifySignature(hook.secret, Number(headers["x-slipway-timestamp"]), body, String(headers["x-slipway-signature"]))).toBe(true);
    }
    const generic = JSON.parse(received.find((r) => r.url.endsWith("?f=generic"))!.body);
    expect(JSON.parse(received.find((r) => r.url.endsWith("?f=slack"))!.body).text).toMatch(/<https:\/\/slipway\.example\.test\/go\/approval\/[0-9a-f-]{36}\|Open in Slipway>$/);
    expect(JSON.parse(received.find((r) => r.url.endsWith("?f=teams"))!.body).attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(generic).toMatchObject({ event: "approval.requested", summary: `3.1.0 to production waits for approval (Release manager), asked by ${owner.email}`, project: { id: p.id }, url: expect.stringMatching(/^https:\/\/slipway\.example\.test\/go\/approval\/[0-9a-f-]{36}$/) });
    // Hooks that did not ask for deployment.held got nothing for it.
    expect(received.some((r) => r.headers["x-slipway-event"] === "deployment.held")).toBe(false);
  });

  it("tell the hooks again when a request moves on to its next stage", async () => {
    const p = await project();
    const qa = await createUser(t.db);
    await t.db.insert(projectMembers).values({ projectId: p.id, userId: qa.id, role: "developer" });
    await createHook(t.db, key, actorFor(admin), admin, { projectId: p.id, name: "channel", url: receiverUrl, format: "generic", events: ["approval.requested"], allowPrivate: true });
    const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, p.id), orderBy: (e, { asc }) => asc(e.position) });
    const [release] = await seedReleases(t.db, actorFor(owner), p.id, [envs[2].id], ["3.2.0"]);
    const stages = [
      { name: "QA lead", count: 1, approvers: { users: [qa.id] } },
      { name: "Release manager", count: 1, approvers: { roles: ["admin" as const] } },
    ];
    await setProtectionRules(t.db, actorFor(owner), { projectId: p.id, environmentId: envs[2].id, rules: { stages } });
    received.length = 0;
    await requestDeployment(t.db, actorFor(owner), { projectId: p.id, environmentId: envs[2].id, releaseId: release.id });
    const [request] = await t.db.select().from(approvalRequests).where(eq(approvalRequests.projectId, p.id));
    await decideApproval(t.db, qa, actorFor(qa), { projectId: p.id, requestId: request.id, decision: "approved", comment: "tested" });
    expect(await deliverDue(t.db, { key, baseUrl: "https://slipway.example.test" })).toEqual({ delivered: 2, failed: 0, retrying: 0 });
    expect(received.map((r) => JSON.parse(r.body).summary).sort()).toEqual([
      `3.2.0 to production waits for approval (QA lead), asked by ${owner.email}`,
      "3.2.0 to production waits for approval (Release manager), after QA lead approved",
    ]);
  });

  it("retry with backoff, then keep the outcome in the delivery log", async () => {
    const p = await project();
    const { hook } = await createHook(t.db, key, actorFor(admin), admin, { projectId: p.id, name: "flaky", url: receiverUrl, format: "generic", events: ["*"], allowPrivate: true });
    await emitNotification(t.db, { projectId: p.id, event: "run.failed", summary: "Run #3 failed" });
    answers.push(503);
    const now = new Date();
    expect(await deliverDue(t.db, { key, baseUrl: "http://x", now })).toEqual({ delivered: 0, failed: 0, retrying: 1 });
    let [row] = await listDeliveries(t.db, { projectId: p.id, hookId: hook.id });
    expect(row).toMatchObject({ status: "pending", attempts: 1, responseStatus: 503, error: "HTTP 503: ok" });
    expect(row.nextAttemptAt.getTime()).toBe(now.getTime() + 10_000);
    // Not due yet; then due.
    expect(await deliverDue(t.db, { key, baseUrl: "http://x", now: new Date(now.getTime() + 5_000) })).toEqual({ delivered: 0, failed: 0, retrying: 0 });
    expect(await deliverDue(t.db, { key, baseUrl: "http://x", now: new Date(now.getTime() + 10_000) })).toEqual({ delivered: 1, failed: 0, retrying: 0 });
    [row] = await listDeliveries(t.db, { projectId: p.id, hookId: hook.id });
    expect(row).toMatchObject({ status: "delivered", attempts: 2, responseStatus: 200, error: null });
    // A 4xx is not retried.
    await emitNotification(t.db, { projectId: p.id, event: "run.failed", summary: "Run #4 failed" });
    answers.push(410);
    expect(await deliverDue(t.db, { key, baseUrl: "http://x", now: new Date(now.getTime() + 20_000) })).toEqual({ delivered: 0, failed: 1, retrying: 0 });
  });

  it("refuse at connection time when a hook without permission now points at a private address (DNS changed)", async () => {
    const p = await project();
    // Saved while it pointed at a public address; what it reaches now is loopback, by name and by address.
    const made = await Promise.all(
      ["a", "b"].map((name) => createHook(t.db, key, actorFor(owner), owner, { projectId: p.id, name, url: "http://93.184.216.34/x", format: "generic", events: ["*"] })),
    );
    await t.db.update(notificationHooks).set({ url: receiverUrl.replace("127.0.0.1", "localhost") }).where(eq(notificationHooks.id, made[0].hook.id));
    await t.db.update(notificationHooks).set({ url: receiverUrl }).where(eq(notificationHooks.id, made[1].hook.id));
    await emitNotification(t.db, { projectId: p.id, event: "run.succeeded", summary: "Run #6 succeeded" });
    received.length = 0;
    expect(await deliverDue(t.db, { key, baseUrl: "http://x" })).toEqual({ delivered: 0, failed: 2, retrying: 0 });
    expect(received).toEqual([]);
    const [byName] = await t.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.hookId, made[0].hook.id));
    expect(byName.error).toMatch(/^Refused: localhost is at (127\.0\.0\.1|::1), a loopback address\.$/);
    const [byAddress] = await t.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.hookId, made[1].hook.id));
    expect([byAddress.status, byAddress.error]).toEqual(["failed", "Refused: 127.0.0.1 is a loopback address."]);
  });
});
