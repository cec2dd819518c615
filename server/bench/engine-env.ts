import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { build } from "esbuild";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { eq, inArray, sql as dsql } from "drizzle-orm";
import { connect, type Database } from "@/db/client";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { jobLogChunks, jobs, runs, users, type Project, type Run, type User } from "@/db/schema";
import { freePort } from "@/server/config/ports";
import { createProject } from "@/server/services/projects";
import { advanceRun, createRun } from "@/server/services/runs";
import type postgres from "postgres";

const ROOT = path.resolve(import.meta.dirname, "../..");

export type EngineBench = {
  url: string;
  db: Database;
  sql: postgres.Sql;
  owner: User;
  project: Project;
  dataDir: string;
  /** The master key the workers run with (SLIPWAY_SECRET_KEY). */
  secretKey: string;
  /** Starts a real worker process (workers/worker.ts, bundled as `npm run worker` runs it) and waits until it serves. */
  startWorker: (options?: { concurrency?: number }) => Promise<void>;
  /** The bundled worker the worker processes run (to find them in /proc). */
  workerEntry: string;
  /** Stops every worker started so far (SIGTERM: they finish their jobs first). */
  stopWorkers: () => Promise<void>;
  startRun: (yaml: string, project?: Project) => Promise<Run>;
  /**
   * Copies of a run as runs waiting to start (status queued, jobs pending),
   * made with two statements: creating runs one by one (planning, numbering,
   * audit) would take longer than the bench itself on this machine.
   */
  cloneRuns: (templateRunId: string, count: number) => Promise<string[]>;
  /** Starts a waiting run exactly as createRun does (running, then advanceRun queues its ready jobs). */
  releaseRun: (runId: string) => Promise<void>;
  newProject: () => Promise<Project>;
};

/**
 * One bench's world: an embedded PostgreSQL of its own in a temporary folder
 * on a free loopback port, migrated, with a user and a project; worker
 * processes on top. Everything is stopped and deleted afterwards, also when
 * the bench throws.
 */
export async function withEngineBench<T>(body: (bench: EngineBench) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-engine-bench-"));
  const start = (port: number) => startEmbeddedPostgres({ dataDir, port, portVariable: "SLIPWAY_DB_PORT", database: "slipway" });
  let pg = await start(await freePort());
  // BENCH_PG_STATS=1 loads pg_stat_statements (a restart), to see which statements the database spends its time on.
  if (process.env.BENCH_PG_STATS) pg = await withStatements(pg, start);
  const children: ChildProcess[] = [];
  const { db, sql } = connect(pg.url, 10);
  // Inside the tree (node_modules stays reachable), in a folder .gitignore already covers.
  const bundleDir = await mkdtemp(path.join(ROOT, ".slipway-bench-"));
  try {
    const [worker] = await Promise.all([bundleWorker(bundleDir), migrateDatabase(pg.url)]);
    const [owner] = await db.insert(users).values({ email: "bench@example.test", name: "bench" }).returning();
    const actor = { userId: owner.id, label: owner.email, ip: null, via: "bench" };
    // A real (empty) repository on disk, so the worker's schedule sync finds one and stays quiet.
    const repo = path.join(dataDir, "repo");
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.test", ...args]);
    execFileSync("git", ["init", "-q", "-b", "main", repo]);
    git("commit", "-q", "--allow-empty", "-m", "bench");
    let projects = 0;
    const newProject = () => createProject(db, actor, { name: `Bench ${++projects}`, slug: `bench-${projects}`, repositoryUrl: repo });
    const project = await newProject();
    const secretKey = randomBytes(32).toString("hex");
    return await body({
      url: pg.url,
      db,
      sql,
      owner,
      project,
      dataDir,
      secretKey,
      newProject,
      cloneRuns: (templateRunId, count) => cloneRuns(sql, templateRunId, count),
      releaseRun: (runId) =>
        db.transaction(async (tx) => {
          await tx.update(runs).set({ status: "running", startedAt: new Date() }).where(eq(runs.id, runId));
          await advanceRun(tx, runId);
        }),
      workerEntry: worker,
      startWorker: (options = {}) => spawnWorker(children, worker, { url: pg.url, dataDir, secretKey, concurrency: options.concurrency ?? 4 }),
      stopWorkers: async () => void (await Promise.all(children.splice(0).map(stopChild))),
      startRun: (yaml, inProject = project) =>
        createRun(db, actor, {
          projectId: inProject.id,
          trigger: "api",
          triggeredBy: owner.id,
          event: { sha: "0".repeat(40), branch: "main", ref: "refs/heads/main", message: "bench" },
          pipeline: { yaml },
        }),
    });
  } finally {
    await Promise.all(children.map(stopChild));
    if (process.env.BENCH_PG_STATS) await printStatements(sql);
    await sql.end({ timeout: 5 });
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(bundleDir, { recursive: true, force: true });
  }
}

/**
 * The worker as `npm start` and `npm run worker` run it: one esbuild bundle
 * (server/cli/launch.mjs's settings) run by plain Node, without a TypeScript
 * loader, whose extra thread and memory would make every step's fork slower.
 */
async function bundleWorker(outdir: string): Promise<string> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: { worker: "workers/worker.ts" },
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    logLevel: "warning",
    alias: { "server-only": path.join(ROOT, "node_modules/server-only/empty.js") },
  });
  return path.join(outdir, "worker.mjs");
}

async function withStatements(pg: { url: string; stop: () => Promise<void> }, start: (port: number) => Promise<typeof pg>) {
  const { sql } = connect(pg.url, 1);
  await sql`alter system set shared_preload_libraries = 'pg_stat_statements'`;
  await sql.end();
  await pg.stop();
  const restarted = await start(Number(new URL(pg.url).port));
  const { sql: again } = connect(restarted.url, 1);
  await again`create extension if not exists pg_stat_statements`;
  await again.end();
  return restarted;
}

/** The statements the database spent most time on, with calls and time per call, on stderr. */
async function printStatements(sql: postgres.Sql) {
  const rows = await sql<{ calls: string; total_ms: number; query: string }[]>`
    select calls, round(total_exec_time::numeric, 1)::float8 as total_ms, left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 160) as query
    from pg_stat_statements order by total_exec_time desc limit 40`;
  for (const row of rows) process.stderr.write(`${String(row.total_ms).padStart(10)} ms ${row.calls.padStart(8)} calls  ${row.query}\n`);
}

async function cloneRuns(sql: postgres.Sql, templateRunId: string, count: number): Promise<string[]> {
  const made = await sql<{ id: string }[]>`
    with made as (
      insert into runs (project_id, number, status, trigger, triggered_by, event, inputs, commit_sha, branch, tag, pipeline_yaml, plan, secrets_allowed)
      select t.project_id, (select max(number) from runs where project_id = t.project_id) + g, 'queued', t.trigger, t.triggered_by, t.event, t.inputs,
             t.commit_sha, t.branch, t.tag, t.pipeline_yaml, t.plan, t.secrets_allowed
      from runs t, generate_series(1, ${count}::int) g where t.id = ${templateRunId}
      returning id
    ), cloned as (
      insert into jobs (run_id, key, job_id, name, needs, matrix, runs_on, max_attempts)
      select made.id, j.key, j.job_id, j.name, j.needs, j.matrix, j.runs_on, j.max_attempts from made, jobs j where j.run_id = ${templateRunId}
    )
    select id from made`;
  return made.map((r) => r.id);
}

async function spawnWorker(children: ChildProcess[], entry: string, o: { url: string; dataDir: string; secretKey: string; concurrency: number }): Promise<void> {
  // BENCH_WORKER_ARGS passes Node flags to the workers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where their time goes.
  const nodeArgs = process.env.BENCH_WORKER_ARGS?.split(" ").filter(Boolean) ?? [];
  // The ipc channel makes the worker stop itself if this process dies before cleaning up.
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: ROOT,
    // Next's types make NODE_ENV mandatory in ProcessEnv; the worker does not need it.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: o.url,
      SLIPWAY_DATA_DIR: o.dataDir,
      SLIPWAY_SECRET_KEY: o.secretKey,
      SLIPWAY_WORKER_CONCURRENCY: String(o.concurrency),
    } as Record<string, string> as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  children.push(child);
  // A worker that dies mid-bench would otherwise show only as jobs that never run.
  child.once("exit", (code, signal) => process.stderr.write(`[worker] exited (${signal ?? code})\n`));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the worker did not say it was ready within 30 s")), 30_000);
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (/^worker .* ready/.test(line)) {
        clearTimeout(timer);
        resolve();
      } else process.stderr.write(`[worker] ${line}\n`);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited with ${code} before it was ready`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const TERMINAL = ["succeeded", "failed", "cancelled"] as const;

/**
 * Waits until every run is finished or the deadline passes; returns the ids
 * still unfinished. With `stallMs`, the deadline moves on while runs keep
 * finishing and the wait ends only when none has finished for `stallMs` (or
 * at `deadlineMs` after the last one did): a slow machine then reports runs
 * the engine stopped working on, not runs it had not reached yet.
 */
export async function waitForRuns(db: Database, runIds: string[], deadlineMs: number, pollMs = 100, stallMs?: number): Promise<string[]> {
  let deadline = Date.now() + deadlineMs;
  let open = runIds;
  while (open.length > 0) {
    const before = open.length;
    const done = new Set<string>();
    for (let i = 0; i < open.length; i += 5000) {
      const rows = await db
        .select({ id: runs.id })
        .from(runs)
        .where(dsql`${inArray(runs.id, open.slice(i, i + 5000))} and ${inArray(runs.status, [...TERMINAL])}`);
      for (const row of rows) done.add(row.id);
    }
    open = open.filter((id) => !done.has(id));
    if (stallMs !== undefined && open.length < before) deadline = Math.max(deadline, Date.now() + stallMs);
    if (open.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return open;
}

/** The jobs of these runs with their whole logs. */
export async function jobsWithLogs(db: Database, runIds: string[]) {
  const rows = runIds.length ? await db.select().from(jobs).where(inArray(jobs.runId, runIds)) : [];
  const chunks = rows.length
    ? await db.select().from(jobLogChunks).where(inArray(jobLogChunks.jobId, rows.map((r) => r.id))).orderBy(jobLogChunks.jobId, jobLogChunks.firstLine)
    : [];
  const logs = new Map<string, string[]>();
  for (const chunk of chunks) logs.set(chunk.jobId, [...(logs.get(chunk.jobId) ?? []), ...chunk.content.split("\n")]);
  return rows.map((row) => ({ ...row, log: logs.get(row.id) ?? [] }));
}

export async function runStatus(db: Database, runId: string): Promise<string> {
  const [row] = await db.select({ status: runs.status }).from(runs).where(eq(runs.id, runId));
  return row.status;
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round1 = (value: number) => Math.round(value * 10) / 10;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
