import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { asc, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { environments, environmentTargets, systemSettings, users } from "@/db/schema";
import { assertPortFree, freePort } from "@/server/config/ports";
import type { TargetSettingsInput } from "@/server/schemas/target";
import { systemActor, type Actor } from "./actor";
import { demoFiles } from "./demo-files";
import { git } from "./git-cli";
import { createProject, findProjectBySlug } from "./projects";
import { setTargetSettings } from "./targets-config";

const DEMO_FLAG = "demo_project_created";

/**
 * On the first start, creates a real git repository with a small web app and
 * a pipeline, and a "demo" project that builds it and deploys it: each of its
 * environments runs the app on this machine (the local target), served by the
 * router on its own port. Runs once: a demo that people later archive or
 * rename stays as they left it.
 */
export async function ensureDemoProject(db: Database, dataDir: string, options: DemoOptions = {}): Promise<{ created: boolean; slug: string }> {
  const [flag] = await db.select().from(systemSettings).where(eq(systemSettings.key, DEMO_FLAG));
  if (flag) return { created: false, slug: String((flag.value as { slug?: string }).slug ?? "demo") };
  const [admin] = await db.select().from(users).where(eq(users.isAdmin, true)).limit(1);
  if (!admin) throw new Error("Create the first admin before the demo project.");

  const repoDir = path.join(dataDir, "repos", "demo");
  if (!existsSync(path.join(repoDir, ".git"))) await createDemoRepository(repoDir);
  const slug = (await findProjectBySlug(db, "demo")) ? `demo-${Date.now().toString(36)}` : "demo";
  const actor = { ...systemActor, userId: admin.id, label: `${admin.email} (first start)` };
  const project = await createProject(
    db,
    actor,
    {
      name: "Demo app",
      slug,
      repositoryUrl: repoDir,
      defaultBranch: "main",
      description: "A small web app with a pipeline, created on the first start so there is something to run and deploy.",
    },
  );
  await configureDemoTargets(db, actor, project.id, options);
  await db.insert(systemSettings).values({ key: DEMO_FLAG, value: { slug } }).onConflictDoNothing();
  return { created: true, slug };
}

export type DemoOptions = {
  /** Ports the router serves development, staging and production on when free (SLIPWAY_DEMO_PORTS, e.g. "8081,8082,8083"). */
  ports?: number[];
};

/** Served from 127.0.0.1 by the router; each instance gets its own port from the local target. */
const DEFAULT_DEMO_PORTS = [8081, 8082, 8083];

/** Quick checks, so a newcomer sees instances become ready in a second or two. */
const healthCheck = { path: "/healthz", intervalSeconds: 1, timeoutSeconds: 2, failureThreshold: 3 };

/**
 * development: a rolling update of two instances, one at a time; staging: blue-green, the old
 * ones kept warm briefly; production: a canary of three instances that takes 20%, then 50% of
 * the traffic, pausing between, before it takes all of it.
 */
const DEMO_STRATEGIES: Record<string, TargetSettingsInput["strategy"]> = {
  development: { strategy: "rolling", replicas: 2, maxSurge: 1, maxUnavailable: 0, healthCheck },
  staging: { strategy: "blue-green", replicas: 2, autoPromote: true, scaleDownDelaySeconds: 15, healthCheck },
  production: { strategy: "canary", replicas: 3, healthCheck, steps: [{ setWeight: 20 }, { pause: { durationSeconds: 20 } }, { setWeight: 50 }, { pause: { durationSeconds: 20 } }] },
};

async function configureDemoTargets(db: Database, actor: Actor, projectId: string, options: DemoOptions) {
  const envs = await db.select().from(environments).where(eq(environments.projectId, projectId)).orderBy(asc(environments.position));
  const preferred = options.ports ?? demoPortsFromEnv() ?? DEFAULT_DEMO_PORTS;
  for (const [index, env] of envs.entries()) {
    const strategy = DEMO_STRATEGIES[env.name];
    if (!strategy) continue;
    const listenPort = await usablePort(db, preferred[index]);
    await setTargetSettings(db, actor, {
      projectId,
      environmentId: env.id,
      settings: { target: { kind: "local", command: ["node", "server.js"], portEnv: "PORT", listenPort }, strategy, whenBusy: "queue" },
    });
  }
}

function demoPortsFromEnv(): number[] | null {
  const value = process.env.SLIPWAY_DEMO_PORTS?.trim();
  if (!value) return null;
  const ports = value.split(",").map((p) => Number(p.trim()));
  if (ports.some((p) => !Number.isInteger(p) || p < 1024 || p > 65535)) {
    throw new Error(`SLIPWAY_DEMO_PORTS must list ports from 1024 to 65535 separated by commas, e.g. "8081,8082,8083"; got "${value}".`);
  }
  return ports;
}

/** The preferred port when nothing listens on it and no environment has it, else one the system says is free now. */
async function usablePort(db: Database, preferred: number | undefined): Promise<number> {
  if (preferred !== undefined) {
    const [taken] = await db
      .select({ id: environmentTargets.environmentId })
      .from(environmentTargets)
      .where(sql`(${environmentTargets.settings}->'target'->>'listenPort')::int = ${preferred}`);
    const free = await assertPortFree(preferred, "SLIPWAY_DEMO_PORTS", "0.0.0.0").then(
      () => true,
      () => false,
    );
    if (!taken && free) return preferred;
  }
  for (;;) {
    const port = await freePort();
    const [taken] = await db
      .select({ id: environmentTargets.environmentId })
      .from(environmentTargets)
      .where(sql`(${environmentTargets.settings}->'target'->>'listenPort')::int = ${port}`);
    if (!taken) return port;
  }
}

async function createDemoRepository(repoDir: string) {
  await mkdir(repoDir, { recursive: true });
  for (const [file, content] of Object.entries(demoFiles)) {
    await mkdir(path.dirname(path.join(repoDir, file)), { recursive: true });
    await writeFile(path.join(repoDir, file), content, { mode: file.endsWith(".sh") ? 0o755 : 0o644 });
  }
  const author = { GIT_AUTHOR_NAME: "Slipway", GIT_AUTHOR_EMAIL: "demo@slipway.local", GIT_COMMITTER_NAME: "Slipway", GIT_COMMITTER_EMAIL: "demo@slipway.local" };
  await git(repoDir, ["init", "--quiet", "--initial-branch=main"]);
  await git(repoDir, ["add", "--all"]);
  await git(repoDir, ["commit", "--quiet", "--message", "Demo app and its pipeline"], author);
}
