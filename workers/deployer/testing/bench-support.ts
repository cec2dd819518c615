import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { connect } from "@/db/client";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { canRaisePriority, PRIORITY, setProcessPriority, spawnAtPriority } from "@/server/config/cpu-priority";
import { freePort } from "@/server/config/ports";
import { DeployWorld } from "./harness";

/**
 * What the deployment benchmarks run on: their own PostgreSQL, the router as its own process
 * (as `npm start` runs it, so the worker's work never delays the requests it measures), a
 * deployer in this process at the worker's CPU priority (as `npm start` runs the worker),
 * and a load generator process at a fixed rate and the normal priority.
 */
export async function startBenchWorld(): Promise<{ world: DeployWorld; stop: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-deploy-bench-"));
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), portVariable: "SLIPWAY_DB_PORT", database: "slipway_bench" });
  await migrateDatabase(pg.url);
  const { db, sql } = connect(pg.url, 10);
  const adminPort = await freePort();
  const router = spawn(process.execPath, ["--import", "tsx", "workers/router/main.ts"], {
    env: { ...process.env, DATABASE_URL: pg.url, SLIPWAY_DATA_DIR: path.join(dir, "router"), SLIPWAY_ROUTER_PORT: String(adminPort) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const routerUrl = `http://127.0.0.1:${adminPort}`;
  const world = new DeployWorld({ db, url: pg.url, close: () => sql.end() });
  const ownPriority = { nice: os.getPriority(0), policy: "normal" } as const;
  const stop = async () => {
    // Benchmarks that run after this one in the process get its priority back.
    if (canRaisePriority()) await setProcessPriority(process.pid, ownPriority);
    await world.stop().catch(() => undefined);
    await stopChild(router);
    await sql.end();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${routerUrl}/healthz`).catch(() => null))?.ok === true, "the router to start", 30_000);
    // Only where instances get the normal priority back when admitted, as in `npm start`.
    if (canRaisePriority()) await setProcessPriority(process.pid, PRIORITY.worker);
    await world.start({ routerUrl });
  } catch (error) {
    // Nothing this started may outlive a failed start: the router and PostgreSQL are processes of their own.
    await stop();
    throw error;
  }
  return { world, stop };
}

export type Sample = { at: number; ms: number; status: number };

/** A fixed-rate load through the router from its own process; `stop` returns one sample per request. */
export function startLoad(url: string, requestsPerSecond: number): { samples: Sample[]; stop: () => Promise<Sample[]> } {
  const child = spawnAtPriority(PRIORITY.normal, process.execPath, [path.join(import.meta.dirname, "load-peer.mjs"), url, String(requestsPerSecond), "128"], { stdio: ["ignore", "pipe", "inherit"] });
  const samples: Sample[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    const [at, ms, status] = line.split(" ").map(Number);
    samples.push({ at, ms, status });
  });
  return {
    samples,
    stop: async () => {
      await stopChild(child);
      return samples;
    },
  };
}

/** The p-th percentile (0..100) of the latencies of `samples`. */
export function percentile(samples: Sample[], p: number): number {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
