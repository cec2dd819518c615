import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import { eq } from "drizzle-orm";
import { connect, type Database } from "@/db/client";
import { createDatabaseIfMissing, startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { environments, projectMembers, users } from "@/db/schema";
import { freePort } from "@/server/config/ports";
import type { Actor } from "@/server/services/actor";
import { requestDeployment } from "@/server/services/deployments";
import { setProtectionRules } from "@/server/services/governance-rules";
import { createProject } from "@/server/services/projects";
import { createRelease } from "@/server/services/releases";
import { setTargetSettings } from "@/server/services/targets-config";
import type { Figure } from "./figure";
import { spawnSlipway, waitHealthy } from "./slipway-process";

/**
 * Governance figures, against a real Slipway (`npm start`'s launcher) on its own PostgreSQL:
 * - approval_to_deploy_start_ms: from sending an approval (the API call) to the worker starting
 *   the deployment it held (its first recorded step), for the demo pipeline's deploy job;
 * - inbox_api_p95_ms: `approvals.inbox` over HTTP with 1,000 pending approvals across 50 projects;
 * - inbox_page_ms: the /approvals page, from navigation to its items shown, with the same.
 * The lead registers `benchGovernance` in server/cli/bench.ts.
 */

const ADMIN = { email: "bench-governance@slipway.local", password: "bench-password-1" };
const PROJECTS = 50;
const PER_PROJECT = 20;
const API_CALLS = 40;
const PAGE_LOADS = 5;
const APPROVALS = 3;

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
const median = (values: number[]) => percentile(values, 50);

async function trpcQuery(page: Page, procedure: string, input: unknown): Promise<unknown> {
  const response = await page.request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  if (!response.ok()) throw new Error(`${procedure} answered ${response.status()}: ${await response.text()}`);
  return ((await response.json()) as { result: { data: { json: unknown } } }).result.data.json;
}

async function trpcMutation(page: Page, procedure: string, input: unknown): Promise<unknown> {
  const response = await page.request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  if (!response.ok()) throw new Error(`${procedure} answered ${response.status()}: ${await response.text()}`);
  return ((await response.json()) as { result: { data: { json: unknown } } }).result.data.json;
}

/**
 * `projects` projects whose production needs one approval by an admin, each with `perProject`
 * releases waiting there for it, asked for by a developer: `projects * perProject` pending
 * approvals the admin may act on. Written through the services, as the API would.
 */
export async function seedPendingApprovals(db: Database, adminId: string, { projects = PROJECTS, perProject = PER_PROJECT } = {}): Promise<number> {
  const [requester] = await db.insert(users).values({ email: `bench-requester-${randomBytes(4).toString("hex")}@slipway.local`, name: "Bench requester" }).returning();
  const actor: Actor = { userId: requester.id, label: requester.email, ip: null, via: "bench" };
  const adminActor: Actor & { userId: string } = { userId: adminId, label: "bench admin", ip: null, via: "bench" };
  let made = 0;
  for (let p = 0; p < projects; p++) {
    const slug = `inbox-${p}-${randomBytes(3).toString("hex")}`;
    const project = await createProject(db, adminActor, { name: `Inbox bench ${p}`, slug, repositoryUrl: `/nonexistent/${slug}.git` });
    await db.insert(projectMembers).values({ projectId: project.id, userId: requester.id, role: "developer" });
    const [production] = await db.select().from(environments).where(eq(environments.projectId, project.id)).orderBy(environments.position).then((e) => e.slice(-1));
    // A Kubernetes target: it needs no free port, and nothing is deployed (the deployments only wait).
    await setTargetSettings(db, adminActor, { projectId: project.id, environmentId: production.id, settings: { target: { kind: "kubernetes", namespace: "bench", deployment: "app", kubeconfigSecret: "KUBECONFIG" } } });
    await setProtectionRules(db, adminActor, { projectId: project.id, environmentId: production.id, rules: { stages: [{ name: "Release manager", count: 1, approvers: { roles: ["admin"] } }] } });
    for (let r = 0; r < perProject; r++) {
      const release = await createRelease(db, actor, {
        projectId: project.id,
        version: `1.0.${r + 1}`,
        image: "registry.example.test/app",
        imageDigest: `sha256:${randomBytes(32).toString("hex")}`,
        commitSha: randomBytes(20).toString("hex"),
        changes: { previousReleaseId: null, previousVersion: null, fromSha: null, authors: [requester.email], files: ["src/app.ts"], source: "event" },
      });
      await requestDeployment(db, actor, { projectId: project.id, environmentId: production.id, releaseId: release.id });
      made++;
    }
  }
  return made;
}

async function signedInPage(browser: Browser, baseURL: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL, viewport: { width: 1440, height: 900 } })).newPage();
  page.setDefaultTimeout(180_000);
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByTestId("signed-in-as").waitFor();
  return page;
}

type InboxItem = { id: string; project: { id: string; slug: string } };
type DeploymentRow = { id: string; phase: string; startedAt: string | null; createdAt: string };

/** One demo pipeline run whose deploy job waits for approval in development; returns the time from approving to the deployment's first step. */
async function approvalToStart(page: Page, projectId: string, developmentId: string): Promise<number> {
  await trpcMutation(page, "runs.start", { projectId, inputs: {} });
  let item: InboxItem | undefined;
  const deadline = Date.now() + 300_000;
  while (!item) {
    if (Date.now() > deadline) throw new Error("the demo run's deployment never waited for approval");
    const inbox = (await trpcQuery(page, "approvals.inbox", { limit: 500 })) as { items: InboxItem[] };
    item = inbox.items.find((i) => i.project.id === projectId);
    if (!item) await page.waitForTimeout(200);
  }
  const started = performance.now();
  await trpcMutation(page, "approvals.approve", { projectId, requestId: item.id, comment: "bench" });
  for (;;) {
    const rows = (await trpcQuery(page, "deployments.list", { projectId, environmentId: developmentId, limit: 5 })) as DeploymentRow[];
    if (rows.some((d) => d.startedAt)) {
      const elapsed = performance.now() - started;
      // Let the run finish before the next one, so the measurements do not queue behind each other.
      const runEnd = Date.now() + 300_000;
      while (Date.now() < runEnd) {
        const latest = ((await trpcQuery(page, "deployments.list", { projectId, environmentId: developmentId, limit: 1 })) as DeploymentRow[])[0];
        if (["succeeded", "failed", "rolled_back", "aborted"].includes(latest.phase)) break;
        await page.waitForTimeout(250);
      }
      return elapsed;
    }
    if (performance.now() - started > 120_000) throw new Error("the approved deployment did not start within 2 minutes");
    await page.waitForTimeout(5);
  }
}

export async function benchGovernance(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-bench-governance-"));
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pg"), port: await freePort(), portVariable: "SLIPWAY_BENCH_DB_PORT", database: "postgres" });
  await createDatabaseIfMissing(pg.url, "slipway");
  const url = pg.url.replace(/\/postgres$/, "/slipway");
  await migrateDatabase(url);
  const { db, sql } = connect(url, 4);
  const slipway = await spawnSlipway(path.join(dataDir, "data"), { DATABASE_URL: url, SLIPWAY_ADMIN_EMAIL: ADMIN.email, SLIPWAY_ADMIN_PASSWORD: ADMIN.password });
  let browser: Browser | null = null;
  try {
    const exited = new Promise<never>((_, reject) => slipway.child.once("exit", (code) => reject(new Error(`Slipway exited with ${code} before it was healthy`))));
    exited.catch(() => undefined);
    await Promise.race([waitHealthy(slipway.port, 300_000), exited]);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"] });
    const page = await signedInPage(browser, `http://localhost:${slipway.port}`);

    // The demo pipeline deploys to development by itself; make development need an approval (separation of duties off: the admin started the run).
    const demo = (await trpcQuery(page, "projects.get", { projectSlug: "demo" })) as { id: string };
    const envs = (await trpcQuery(page, "environments.list", { projectId: demo.id })) as { id: string; name: string }[];
    const development = envs.find((e) => e.name === "development")!;
    await trpcMutation(page, "governance.setRules", { projectId: demo.id, environmentId: development.id, rules: { stages: [{ name: "Release manager", count: 1, approvers: { roles: ["admin"] } }], separationOfDuties: false } });
    const starts: number[] = [];
    for (let i = 0; i < APPROVALS; i++) starts.push(await approvalToStart(page, demo.id, development.id));
    if (process.env.BENCH_DEBUG) console.error("approval to start (ms):", starts.map(Math.round).join(", "));

    const [admin] = await db.select().from(users).where(eq(users.email, ADMIN.email));
    const seeded = await seedPendingApprovals(db, admin.id);
    const inbox = (await trpcQuery(page, "approvals.inbox", { limit: 100 })) as { total: number };
    if (inbox.total < seeded) throw new Error(`the inbox shows ${inbox.total} requests; ${seeded} were made`);

    await trpcQuery(page, "approvals.inbox", { limit: 100 });
    const api: number[] = [];
    for (let i = 0; i < API_CALLS; i++) {
      const t0 = performance.now();
      await trpcQuery(page, "approvals.inbox", { limit: 100 });
      api.push(performance.now() - t0);
    }

    const loads: number[] = [];
    await page.goto("/approvals");
    await page.getByTestId("approval-item").first().waitFor();
    for (let i = 0; i < PAGE_LOADS; i++) {
      const t0 = performance.now();
      await page.goto("/approvals");
      await page.getByTestId("approval-item").first().waitFor();
      await page.evaluate("new Promise((resolve) => requestAnimationFrame(() => resolve(null)))");
      loads.push(performance.now() - t0);
    }
    if (process.env.BENCH_DEBUG) console.error("inbox api (ms):", api.map(Math.round).join(", "), "; page (ms):", loads.map(Math.round).join(", "));
    return [
      { name: "approval_to_deploy_start_ms", value: Math.round(median(starts)), unit: "ms", goal: "< 1000" },
      { name: "inbox_api_p95_ms", value: Math.round(percentile(api, 95)), unit: "ms", goal: "< 300" },
      { name: "inbox_page_ms", value: Math.round(median(loads)), unit: "ms", goal: "< 1000" },
    ];
  } finally {
    await browser?.close();
    await slipway.stop();
    await sql.end();
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The inbox query alone, in this process, for a quick look without a browser: p95 over `calls` calls. */
export async function inboxQueryP95(db: Database, user: Parameters<typeof import("@/server/services/approvals").listInbox>[1], calls = API_CALLS): Promise<number> {
  const { listInbox } = await import("@/server/services/approvals");
  await listInbox(db, user, { limit: 100 });
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await listInbox(db, user, { limit: 100 });
    times.push(performance.now() - t0);
  }
  return percentile(times, 95);
}
