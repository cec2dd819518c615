import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { deploymentSpecSchema, type DeploymentSpecInput } from "@/server/deploy";
import { asc, eq } from "drizzle-orm";
import { deploymentEvents, type Release } from "@/db/schema";
import { requestDeployment } from "@/server/services/deployments";
import { actorFor } from "@/server/testing/fixtures";
import { readRouterTraffic } from "@/workers/router/client";
import { localTargetsDir } from "@/workers/targets/local-processes";
import { percentile, startBenchWorld, startLoad, waitFor, type Sample } from "@/workers/deployer/testing/bench-support";
import { awaitDeploymentEnd, waitForDeployment, type AppBehaviour, type DeployWorld } from "@/workers/deployer/testing/harness";
import type { Figure } from "./figure";

/**
 * Deployments under load, on the local target (node http servers as instances: process
 * start-up is fast and steady, so the figures measure Slipway rather than Docker). The
 * router and the load generator run as processes of their own; the deployer runs here with
 * its production timings (observe every 500 ms, 15 s leases). Load: 600 requests/s, open
 * loop, keep-alive, through the router. "During" runs from a deployment's request (the
 * release exists already) to its end; "steady" is the load in the quiet spells between.
 */
const RATE = 600;
/** Deployments per strategy, and the quiet load before each: together about 10,000 steady requests, and 4,500 to 20,000 during deployments. */
const ROUNDS = 5;
const QUIET_MS = 4_000;
/**
 * Load before anything is measured, as a router that has been serving for a while sees it:
 * the first traffic through a freshly started router runs its code cold (a p99 in the
 * hundreds of milliseconds for half a second), and the load generator opens its connections.
 */
const LOAD_WARM_UP_MS = 3_000;
const check = { path: "/healthz", intervalSeconds: 1, failureThreshold: 2 };
/** As a team whose users hit "/" would set it: the code their requests run is compiled before they reach it. */
const warmUp = { path: "/" };

type Env = Awaited<ReturnType<DeployWorld["localEnvironment"]>>;

async function serving(world: DeployWorld, strategy: DeploymentSpecInput): Promise<Env & { release: (v: string, b?: AppBehaviour) => Promise<string>; deploy: (releaseId: string) => Promise<string> }> {
  const env = await world.localEnvironment(strategy);
  const deploy = async (releaseId: string) => (await requestDeployment(world.db, actorFor(world.owner), { projectId: env.project.id, environmentId: env.environmentId, releaseId })).id;
  const release = async (version: string, behaviour: AppBehaviour = {}) => deploy((await world.localRelease(env.project, version, behaviour)).id);
  const first = await world.localRelease(env.project, "1.0.1");
  const deployment = await requestDeployment(world.db, actorFor(world.owner), { projectId: env.project.id, environmentId: env.environmentId, releaseId: first.id, overrides: { strategy: "rolling" } });
  await waitForDeployment(world.db, deployment.id, undefined, 60_000);
  return { ...env, release, deploy };
}

/**
 * A deployment is done once its old instances are on their way out; they finish stopping
 * after it. Their exits load the machine too, so "during" lasts until only the new
 * instances' records are left.
 */
async function untilOnlyNewInstances(world: DeployWorld, environmentId: string, replicas: number): Promise<void> {
  const folder = path.join(localTargetsDir(world.dataDir), environmentId);
  await waitFor(async () => (await readdir(folder)).filter((f) => f.endsWith(".json")).length <= replicas, "the old instances to exit", 30_000, 50);
}

/**
 * Deploys ROUNDS new releases one after another with `strategy` under load: failed requests
 * over the whole run, and the p99 of the requests made while a deployment ran (until its old
 * instances have exited) against the p99 of those made in the quiet spells between them.
 * One deployment of a few seconds gives under 2,000 requests, whose p99 is their 20th
 * slowest: one hiccup of this 2-core machine decides it. The quiet spells alternate with
 * the deployments so both see the same machine.
 */
async function underLoad(world: DeployWorld, name: string, strategy: DeploymentSpecInput): Promise<Figure[]> {
  const env = await serving(world, strategy);
  // The releases (their artifacts packed) are made before the load: the figures are the deployments'.
  const releases: Release[] = [];
  for (let round = 0; round < ROUNDS; round++) releases.push(await world.localRelease(env.project, `1.0.${round + 2}`));
  const load = startLoad(env.url, RATE);
  const measuredFrom = Date.now() + LOAD_WARM_UP_MS;
  const deployments: Array<{ id: string; start: number; end: number }> = [];
  try {
    await sleep(LOAD_WARM_UP_MS);
    for (const release of releases) {
      await sleep(QUIET_MS);
      const start = Date.now();
      const id = await env.deploy(release.id);
      const done = await awaitDeploymentEnd(world.db, id, 120_000);
      if (done.phase !== "succeeded") throw new Error(`${name}: the deployment of ${release.version} ended ${done.phase}: ${done.reason}`);
      await untilOnlyNewInstances(world, env.environmentId, deploymentSpecSchema.parse(strategy).replicas);
      deployments.push({ id, start, end: Date.now() });
    }
    await sleep(1_000);
  } finally {
    await load.stop();
  }
  const samples = load.samples;
  const deploying = (s: Sample, after = 0) => deployments.some((d) => s.at >= d.start && s.at <= d.end + after);
  // Quiet: after the load's warm-up, and not within a second after a deployment.
  const steady = samples.filter((s) => s.at >= measuredFrom && !deploying(s, 1_000));
  const during = samples.filter((s) => deploying(s));
  const rate = Math.round(samples.length / ((samples.at(-1)!.at - samples[0].at) / 1000));
  if (process.env.BENCH_DEBUG) {
    for (const d of deployments) await explainSlowRequests(world, d.id, name, steady, during.filter((s) => s.at >= d.start && s.at <= d.end), d.start);
  }
  return [
    { name: `failed_requests_${name}`, value: samples.filter((s) => s.status !== 200).length, unit: "requests", goal: "0" },
    { name: `p99_ratio_${name}`, value: round(percentile(during, 99) / percentile(steady, 99)), unit: "x", goal: "<= 2" },
    { name: `deploy_load_req_per_s_${name}`, value: rate, unit: "req/s", goal: ">= 500" },
  ];
}

/** BENCH_DEBUG: both p99s, and when the slow requests of the deployment came, beside what the deployment did then. */
async function explainSlowRequests(world: DeployWorld, deploymentId: string, name: string, steady: Sample[], during: Sample[], deployStart: number) {
  const limit = percentile(steady, 99) * 2;
  const slow = during.filter((s) => s.ms > limit);
  console.error(`${name}: steady p50 ${percentile(steady, 50).toFixed(2)} p99 ${percentile(steady, 99).toFixed(2)} ms; during p50 ${percentile(during, 50).toFixed(2)} p99 ${percentile(during, 99).toFixed(2)} ms over ${during.length} requests; ${slow.length} over ${limit.toFixed(2)} ms`);
  const buckets = new Map<number, number[]>();
  for (const s of slow) buckets.set(Math.floor((s.at - deployStart) / 100) * 100, [...(buckets.get(Math.floor((s.at - deployStart) / 100) * 100) ?? []), s.ms]);
  for (const [at, ms] of [...buckets].sort((a, b) => a[0] - b[0])) console.error(`  +${at} ms: ${ms.length} slow, worst ${Math.max(...ms).toFixed(1)} ms`);
  const events = await world.db.select().from(deploymentEvents).where(eq(deploymentEvents.deploymentId, deploymentId)).orderBy(asc(deploymentEvents.id));
  for (const e of events) console.error(`  event +${e.at.getTime() - deployStart} ms ${e.kind}: ${e.message}`);
}

export async function benchFailedRequests(): Promise<Figure[]> {
  const { world, stop } = await startBenchWorld();
  try {
    return [
      ...(await underLoad(world, "rolling", { strategy: "rolling", replicas: 3, maxSurge: 1, maxUnavailable: 0, healthCheck: check, warmUp })),
      ...(await underLoad(world, "bluegreen", { strategy: "blue-green", replicas: 3, scaleDownDelaySeconds: 2, healthCheck: check, warmUp })),
      ...(await underLoad(world, "canary", {
        strategy: "canary",
        replicas: 3,
        healthCheck: check,
        warmUp,
        steps: [{ setWeight: 20 }, { pause: { durationSeconds: 2 } }, { setWeight: 50 }, { analysis: { windowSeconds: 3, minRequests: 50 } }],
      })),
      ...(await rollbackUnready(world)),
    ];
  } finally {
    await stop();
  }
}

/** A release that never passes its health check, under load: it must cost no request. */
async function rollbackUnready(world: DeployWorld): Promise<Figure[]> {
  const env = await serving(world, { strategy: "rolling", replicas: 3, maxSurge: 1, maxUnavailable: 0, healthCheck: check });
  const load = startLoad(env.url, RATE);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const done = await waitForDeployment(world.db, await env.release("1.0.2", { healthy: false }), undefined, 60_000);
  const samples = await load.stop();
  if (done.phase !== "rolled_back") throw new Error(`the unready release ended ${done.phase}`);
  return [{ name: "failed_requests_rollback_unready", value: samples.filter((s) => s.status !== 200).length, unit: "requests", goal: "0" }];
}

/**
 * A canary serving half the traffic starts failing its health check: from the probe answer
 * that decided it (the app times its first failing answer) to the router sending all
 * traffic to stable, read from its admin port every 20 ms (reading it much more often slows
 * the very router being measured). The median of three.
 */
export async function benchRollbackToStable(): Promise<Figure[]> {
  const { world, stop } = await startBenchWorld();
  try {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const env = await serving(world, { strategy: "canary", replicas: 2, healthCheck: { ...check, failureThreshold: 1 }, steps: [{ setWeight: 50 }, { pause: {} }] });
      const load = startLoad(env.url, RATE);
      const id = await env.release("1.0.2");
      await waitForDeployment(world.db, id, (row) => row.phase === "paused", 60_000);
      const folder = await releaseFolder(world, "1.0.2", env.project.id);
      await writeFile(path.join(folder, "unhealthy"), "");
      await waitFor(async () => sameSplit(await readRouterTraffic(world.routerUrl, env.environmentId), { "1.0.1": 100 }), "traffic back on stable", 30_000, 20);
      const stableAt = Date.now();
      const failedAt = Math.min(...(await Promise.all((await readdir(folder)).filter((f) => f.startsWith("first-unhealthy-")).map(async (f) => Number(await readFile(path.join(folder, f), "utf8"))))));
      times.push(stableAt - failedAt);
      await load.stop();
      await waitForDeployment(world.db, id, undefined, 60_000);
      // The next round's 1.0.2 has the same artifact, so the same folder: it must start healthy.
      for (const file of await readdir(folder)) if (file === "unhealthy" || file.startsWith("first-unhealthy-")) await rm(path.join(folder, file));
    }
    return [{ name: "rollback_to_stable_ms", value: times.sort((a, b) => a - b)[1], unit: "ms", goal: "< 1000" }];
  } finally {
    await stop();
  }
}

/** A canary answering 5xx under load: from the first 5xx a client saw to the router sending all traffic to stable. */
export async function benchCanaryFirstErrorToStable(): Promise<Figure[]> {
  const { world, stop } = await startBenchWorld();
  try {
    const env = await serving(world, { strategy: "canary", replicas: 2, healthCheck: check, steps: [{ setWeight: 20 }, { analysis: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 } }] });
    const load = startLoad(env.url, RATE);
    const id = await env.release("1.0.3", { failRequests: true });
    let stableAt = 0;
    await waitFor(() => load.samples.some((s: Sample) => s.status === 500), "the canary's first error", 60_000, 2);
    await waitFor(async () => sameSplit(await readRouterTraffic(world.routerUrl, env.environmentId), { "1.0.1": 100 }) && (stableAt = Date.now()) > 0, "traffic back on stable", 30_000, 20);
    const samples = await load.stop();
    const firstError = Math.min(...samples.filter((s) => s.status === 500).map((s) => s.at + s.ms));
    const done = await waitForDeployment(world.db, id, undefined, 60_000);
    if (done.phase !== "rolled_back") throw new Error(`the failing canary ended ${done.phase}`);
    return [{ name: "canary_first_error_to_stable_ms", value: Math.round(stableAt - firstError), unit: "ms", goal: "< 3000" }];
  } finally {
    await stop();
  }
}

/** Where the local target unpacked the release's artifact (shared by its instances). */
async function releaseFolder(world: DeployWorld, version: string, projectId: string): Promise<string> {
  const release = await world.db.query.releases.findFirst({ where: (r, { and, eq }) => and(eq(r.projectId, projectId), eq(r.version, version)) });
  return path.join(localTargetsDir(world.dataDir), "releases", release!.artifactDigest!.replace(/[^0-9a-z]/gi, "_"));
}

function sameSplit(a: Record<string, number>, b: Record<string, number>): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
