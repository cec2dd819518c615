import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import type PgBoss from "pg-boss";
import postgres from "postgres";
import type { Database } from "@/db/client";
import { deploymentEvents, deployments, type DeploymentRow, type Project, type Release, type User } from "@/db/schema";
import type { TestDatabase } from "@/db/testing/database";
import type { DeploymentSpecInput } from "@/server/deploy";
import { freePort } from "@/server/config/ports";
import { startBoss } from "@/server/queue/boss";
import type { TargetSettingsInput } from "@/server/schemas/target";
import { packToBlob } from "@/server/services/artifacts";
import { DEPLOYMENT_CHANNEL } from "@/server/services/deploy-driver";
import { createRelease } from "@/server/services/releases";
import { setTargetSettings } from "@/server/services/targets-config";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { createAdminServer, listenAdmin } from "@/workers/router/admin";
import { startRouter, type Router } from "@/workers/router/router";
import { stopRecordedInstances } from "@/workers/targets/local-processes";
import { registerDeployer, type Deployer, type DeployerOptions } from "../deployer";

/** The node web app the local target runs in tests and benchmarks. */
export const APP_SERVER = path.resolve(import.meta.dirname, "../../targets/testing/app-server.mjs");

export type AppBehaviour = { healthy?: boolean; failRequests?: boolean; startDelayMs?: number };

/**
 * A deployment world on a test database: the router (in this process, following the
 * database), pg-boss and a deployer, with quick timings so tests stay short.
 */
export class DeployWorld {
  owner!: User;
  router: Router | null = null;
  routerUrl!: string;
  boss!: PgBoss;
  deployer!: Deployer;
  dataDir!: string;
  private admin: http.Server | null = null;
  private listens: postgres.Sql[] = [];
  private extraDeployers: Deployer[] = [];

  constructor(readonly t: TestDatabase) {}

  get db(): Database {
    return this.t.db;
  }

  /** `routerUrl`: use a router running elsewhere (the benchmarks run it as its own process) instead of one in this process. */
  async start(options: Partial<DeployerOptions> = {}): Promise<this> {
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-deploy-"));
    this.owner = await createUser(this.db, { name: "Release Manager" });
    if (options.routerUrl) {
      this.routerUrl = options.routerUrl;
      this.boss = await startBoss(this.t.url);
      this.deployer = await this.newDeployer(options);
      return this;
    }
    this.router = await startRouter({ dataDir: this.dataDir, databaseUrl: this.t.url, listenHost: "127.0.0.1", rereadMs: 5_000 });
    // The admin port answers for whichever router runs now, so a test can restart the router under it.
    const current = (): Router => this.router!;
    const forwarding: Router = {
      get table() {
        return current().table;
      },
      get status() {
        return current().status;
      },
      apply: (table) => current().apply(table),
      push: (entry) => current().push(entry),
      hold: (environmentId, weights) => current().hold(environmentId, weights),
      reload: () => current().reload(),
      close: () => current().close(),
    };
    this.admin = createAdminServer(forwarding, new Date().toISOString());
    this.routerUrl = `http://127.0.0.1:${await listenAdmin(this.admin, 0)}`;
    this.boss = await startBoss(this.t.url);
    this.deployer = await this.newDeployer(options);
    return this;
  }

  /** Another worker's deployer (a crash test starts one after abandoning the first). */
  async newDeployer(options: Partial<DeployerOptions> = {}): Promise<Deployer> {
    const listen = postgres(this.t.url, { max: 1, onnotice: () => undefined });
    this.listens.push(listen);
    const deployer = await registerDeployer(this.boss, this.db, {
      workerId: `test-deployer-${randomBytes(3).toString("hex")}`,
      dataDir: this.dataDir,
      routerUrl: this.routerUrl,
      listen,
      secretsKey: null,
      leaseMs: 2_000,
      sweepMs: 500,
      observeMs: 200,
      ...options,
    });
    this.extraDeployers.push(deployer);
    return deployer;
  }

  async stop(): Promise<void> {
    for (const deployer of this.extraDeployers) await deployer.stop().catch(() => undefined);
    if (this.boss) await this.boss.stop({ graceful: false, wait: true });
    for (const listen of this.listens) await listen.end();
    if (this.admin) await new Promise((resolve) => this.admin!.close(resolve));
    await this.router?.close();
    await stopRecordedInstances(this.dataDir, 0);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** A project whose first environment deploys to the local target with `strategy`; returns the environment id and its public URL. */
  async localEnvironment(strategy: DeploymentSpecInput, extra: Partial<TargetSettingsInput> = {}) {
    const project = await createProjectAs(this.db, this.owner);
    const [env] = await this.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
    const listenPort = await freePort();
    await setTargetSettings(this.db, actorFor(this.owner), {
      projectId: project.id,
      environmentId: env.id,
      settings: { target: { kind: "local", command: [process.execPath, APP_SERVER], listenPort }, strategy, ...extra },
    });
    return { project, environmentId: env.id, url: `http://127.0.0.1:${listenPort}/` };
  }

  /** A release of the node app whose artifact holds app.json with `behaviour`. */
  async localRelease(project: Project, version: string, behaviour: AppBehaviour = {}): Promise<Release> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-app-"));
    try {
      await writeFile(path.join(dir, "app.json"), JSON.stringify({ version, healthy: true, failRequests: false, ...behaviour }));
      const packed = await packToBlob(this.dataDir, dir, ["."], { wording: { what: "app" }, maxBytes: 1e6, tooLarge: () => new Error("too large") });
      return await createRelease(this.db, actorFor(this.owner), {
        projectId: project.id,
        version,
        artifactName: "app",
        artifactDigest: packed!.digest,
        commitSha: randomBytes(20).toString("hex"),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** The local target's instances outlive their deployments by design; a test run must not leave them behind. */
const ENDED = new Set(["succeeded", "rolled_back", "aborted", "failed"]);

/** Polls the deployment until `until` holds (by default: it ended). */
export async function waitForDeployment(
  db: Database,
  id: string,
  until: (row: DeploymentRow) => boolean = (row) => ENDED.has(row.phase),
  timeoutMs = 45_000,
): Promise<DeploymentRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.select().from(deployments).where(eq(deployments.id, id));
    if (until(row)) {
      if (process.env.DEBUG_DEPLOY) console.log(await history(db, id, 100));
      return row;
    }
    if (Date.now() > deadline) {
      throw new Error(`deployment still ${row.phase} after ${timeoutMs} ms: ${row.message}\n${await history(db, id, 20)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits for the deployment to end the way its page does, on the notifications of its
 * changes: one read per change, and one a second in case a notification was missed. For
 * benchmarks, where polling every 50 ms would add work of their own to what they measure.
 */
export async function awaitDeploymentEnd(db: Database, id: string, timeoutMs: number): Promise<DeploymentRow> {
  let changed = true;
  let wake: () => void = () => undefined;
  const listener = await db.$client.listen(DEPLOYMENT_CHANNEL, (payload) => {
    if (payload !== id) return;
    changed = true;
    wake();
  });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!changed) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, 1_000)));
      changed = false;
      const [row] = await db.select().from(deployments).where(eq(deployments.id, id));
      if (ENDED.has(row.phase)) return row;
      if (Date.now() > deadline) throw new Error(`deployment still ${row.phase} after ${timeoutMs} ms: ${row.message}\n${await history(db, id, 20)}`);
    }
  } finally {
    await listener.unlisten();
  }
}

/** The deployment's last `count` events, one per line, to say where a test got stuck. */
async function history(db: Database, id: string, count: number): Promise<string> {
  const events = await db.select().from(deploymentEvents).where(eq(deploymentEvents.deploymentId, id)).orderBy(deploymentEvents.id);
  return events.slice(-count).map((e) => `  ${e.at.toISOString()} ${e.kind}: ${e.message}`).join("\n");
}

/** Waits until requests through the router are answered by `version`. */
export async function waitForServing(url: string, version: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const body = await fetch(url).then((r) => r.text(), () => "");
    if (body.trim() === `version ${version}`) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} does not serve ${version} after ${timeoutMs} ms`);
}
