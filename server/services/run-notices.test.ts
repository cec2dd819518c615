import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobs, notificationDeliveries, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { claimQueuedJobs, finishJob } from "./job-lifecycle";
import { createHook, deliverDue, listDeliveries } from "./notifications";
import { cancelRun, createRun } from "./runs";

/** A run's end reaches the project's hooks, from the transaction that ended it. */
let t: TestDatabase;
let admin: User;
const key = randomBytes(32);
let receiver: http.Server;
let receiverUrl: string;
const received: { event: string; body: Record<string, unknown> }[] = [];
/** Statuses the receiver answers with, in order (then 200). */
const answers: number[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await createUser(t.db, { isAdmin: true });
  receiver = http.createServer((request, response) => {
    let body = "";
    request.on("data", (c) => (body += c));
    request.on("end", () => {
      received.push({ event: String(request.headers["x-slipway-event"]), body: JSON.parse(body) });
      response.statusCode = answers.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await t.close();
});

const PIPELINE = "on: { manual: {} }\njobs:\n  build: { steps: [ { run: echo hi } ] }\n";

async function projectWithHook(events = ["run.*"]) {
  const project = await createProjectAs(t.db, admin);
  const { hook } = await createHook(t.db, key, actorFor(admin), admin, { projectId: project.id, name: "chat", url: receiverUrl, format: "generic", events, allowPrivate: true });
  return { project, hook };
}

async function startRun(project: Project, branch = "main") {
  return createRun(t.db, actorFor(admin), { projectId: project.id, trigger: "manual", triggeredBy: admin.id, event: { sha: "c0ffee".padEnd(40, "0"), branch }, pipeline: { yaml: PIPELINE } });
}

async function finishOnlyJob(runId: string, status: "succeeded" | "failed") {
  const [job] = await t.db.select().from(jobs).where(eq(jobs.runId, runId));
  await claimQueuedJobs(t.db, { workerId: "w", labels: [], executor: { image: "local", plain: "local" } }, 1);
  await finishJob(t.db, { jobId: job.id, attempt: job.attempt }, { status, reason: status === "failed" ? "exit 1" : null });
}

describe("run notifications", () => {
  it("tell a hook when a run succeeds, fails or is cancelled, with a sentence and a link to the run", async () => {
    const { project, hook } = await projectWithHook();
    const ok = await startRun(project);
    await finishOnlyJob(ok.id, "succeeded");
    const bad = await startRun(project, "feature/x");
    await finishOnlyJob(bad.id, "failed");
    const stopped = await startRun(project);
    await cancelRun(t.db, actorFor(admin), { projectId: project.id, runId: stopped.id });
    received.length = 0;
    await deliverDue(t.db, { key, baseUrl: "https://slipway.example.test" });
    expect(received.map((r) => [r.event, r.body.summary, r.body.url])).toEqual([
      ["run.succeeded", `Run #${ok.number} on main (c0ffee0) succeeded`, `https://slipway.example.test/projects/${project.slug}/runs/${ok.number}`],
      ["run.failed", `Run #${bad.number} on feature/x (c0ffee0) failed`, `https://slipway.example.test/projects/${project.slug}/runs/${bad.number}`],
      ["run.cancelled", `Run #${stopped.number} on main (c0ffee0) cancelled`, `https://slipway.example.test/projects/${project.slug}/runs/${stopped.number}`],
    ]);
    expect((await listDeliveries(t.db, { projectId: project.id, hookId: hook.id })).every((d) => d.status === "delivered")).toBe(true);
  });

  it("go only to hooks that asked for the event, and write nothing for a project without hooks", async () => {
    const { project, hook } = await projectWithHook(["run.failed"]);
    await finishOnlyJob((await startRun(project)).id, "succeeded");
    expect(await listDeliveries(t.db, { projectId: project.id, hookId: hook.id })).toEqual([]);
    const quiet = await createProjectAs(t.db, admin);
    const before = await t.db.$count(notificationDeliveries);
    await finishOnlyJob((await startRun(quiet)).id, "failed");
    expect(await t.db.$count(notificationDeliveries)).toBe(before);
  });

  it("are retried with backoff while the hook's endpoint answers 500, then delivered", async () => {
    const { project, hook } = await projectWithHook(["run.failed"]);
    await finishOnlyJob((await startRun(project)).id, "failed");
    const now = new Date();
    answers.push(500, 500);
    expect(await deliverDue(t.db, { key, baseUrl: "http://x", now })).toEqual({ delivered: 0, failed: 0, retrying: 1 });
    let [row] = await listDeliveries(t.db, { projectId: project.id, hookId: hook.id });
    expect(row).toMatchObject({ status: "pending", attempts: 1, responseStatus: 500 });
    const firstWait = row.nextAttemptAt.getTime() - now.getTime();
    const later = new Date(row.nextAttemptAt);
    expect(await deliverDue(t.db, { key, baseUrl: "http://x", now: later })).toEqual({ delivered: 0, failed: 0, retrying: 1 });
    [row] = await listDeliveries(t.db, { projectId: project.id, hookId: hook.id });
    expect(row).toMatchObject({ status: "pending", attempts: 2, responseStatus: 500 });
    expect(row.nextAttemptAt.getTime() - later.getTime()).toBeGreaterThan(firstWait);
    expect(await deliverDue(t.db, { key, baseUrl: "http://x", now: row.nextAttemptAt })).toEqual({ delivered: 1, failed: 0, retrying: 0 });
    [row] = await listDeliveries(t.db, { projectId: project.id, hookId: hook.id });
    expect(row).toMatchObject({ status: "delivered", attempts: 3, responseStatus: 200 });
  });
});
