import { spawn } from "node:child_process";
import { inArray, sql as dsql } from "drizzle-orm";
import { jobs } from "@/db/schema";
import { startBoss } from "@/server/queue/boss";
import { cpuSeconds } from "./engine-cpu";
import type { Figure } from "./figure";
import { sleep, waitForRuns, withEngineBench, type EngineBench } from "./engine-env";

/**
 * Jobs per second through the whole engine: claim, secrets, the
 * workspace, the step, log lines, the result, the DAG advance and the run's
 * settling. Each run is a small DAG (`a`, then `b` and `c` once `a` is done),
 * all runs are started before the worker starts, and the rate is the number
 * of jobs settled over the time from the first job's claim to the last
 * settled job's finish (both from the jobs table), so starting runs is not
 * part of it.
 *
 * A "no-op" job's single step is skipped (`if: false`): the engine does all
 * of its work for the job, but no process is started. The second figure runs
 * `true` instead, which adds one process start per job; on this machine
 * process starts are the limit there, which the third figure shows on its own.
 */
const NOOP = `
on: { manual: {} }
jobs:
  a: { steps: [ { if: "false", run: "true" } ] }
  b: { needs: a, steps: [ { if: "false", run: "true" } ] }
  c: { needs: a, steps: [ { if: "false", run: "true" } ] }
`;
const WITH_PROCESS = NOOP.replaceAll(`if: "false", `, "");
const CONCURRENCY = 16;
const NOOP_RUNS = 500;
const PROCESS_RUNS = 200;
const PGBOSS_MS = 5_000;
const DRAIN_MS = 25_000;
const SPAWNS = 300;

export async function benchEngineThroughput(): Promise<Figure[]> {
  return withEngineBench(async (bench) => {
    const noop = await drainRate(bench, NOOP, NOOP_RUNS);
    const withProcess = await drainRate(bench, WITH_PROCESS, PROCESS_RUNS);
    const raw = await pgBossRate(bench.url);
    const spawns = await spawnRate();
    return [
      { name: "engine_jobs_per_s", value: noop.rate, unit: "jobs/s", goal: ">= 500" },
      { name: "engine_worker_cpu_ms_per_job", value: noop.workerCpuMs, unit: "ms", goal: "(context: worker process CPU per no-op job)" },
      { name: "engine_postgres_cpu_ms_per_job", value: noop.postgresCpuMs, unit: "ms", goal: "(context: database backends' CPU per no-op job)" },
      { name: "engine_jobs_per_s_with_process", value: withProcess.rate, unit: "jobs/s", goal: "(context: one `true` process per job)" },
      { name: "pgboss_jobs_per_s", value: raw, unit: "jobs/s", goal: "(context: raw send+fetch+complete)" },
      { name: "process_starts_per_s", value: spawns, unit: "processes/s", goal: "(context: sh -c true from Node, 2 at a time)" },
    ];
  });
}

/**
 * Starts the runs with no worker serving (all their first jobs queued), then
 * starts one and counts the jobs it settles in DRAIN_MS (or until the queue
 * is empty, if sooner), from the jobs table's timestamps. Also the CPU time
 * the worker process and the bench database's backends spent meanwhile, per
 * job: unlike the rate, that hardly depends on what else the machine does.
 */
async function drainRate(bench: EngineBench, yaml: string, runs: number) {
  const template = await bench.startRun(yaml);
  const ids = [template.id, ...(await bench.cloneRuns(template.id, runs - 1))];
  for (let i = 1; i < ids.length; i += 8) await Promise.all(ids.slice(i, i + 8).map((id) => bench.releaseRun(id)));
  const backends = (cmd: string) => cmd.startsWith("postgres: postgres slipway ");
  const workerCmd = (cmd: string) => cmd.includes(bench.workerEntry);
  await bench.startWorker({ concurrency: CONCURRENCY });
  const cpuBefore = { worker: cpuSeconds(workerCmd), postgres: cpuSeconds(backends) };
  await waitForRuns(bench.db, ids, DRAIN_MS, 200);
  const cpu = { worker: cpuSeconds(workerCmd) - cpuBefore.worker, postgres: cpuSeconds(backends) - cpuBefore.postgres };
  const [span] = await bench.db
    .select({
      settled: dsql<number>`count(*) filter (where ${jobs.finishedAt} is not null)::int`,
      failed: dsql<number>`count(*) filter (where ${jobs.status} in ('failed', 'cancelled', 'skipped'))::int`,
      seconds: dsql<number>`extract(epoch from max(${jobs.finishedAt}) - min(${jobs.startedAt}))::float8`,
    })
    .from(jobs)
    .where(inArray(jobs.runId, ids));
  await bench.stopWorkers();
  if (span.failed > 0) throw new Error(`${span.failed} jobs did not succeed`);
  if (span.settled < runs) throw new Error(`only ${span.settled} jobs settled in ${DRAIN_MS / 1000} s: too few for a rate`);
  const perJob = (seconds: number) => Math.round((seconds * 1000 * 100) / span.settled) / 100;
  return { rate: Math.round(span.settled / span.seconds), workerCpuMs: perJob(cpu.worker), postgresCpuMs: perJob(cpu.postgres) };
}

/**
 * Raw pg-boss on the same database: CONCURRENCY loops, each sending one job,
 * fetching one and completing it, for PGBOSS_MS. The same pool settings as
 * a worker's pg-boss.
 */
async function pgBossRate(url: string): Promise<number> {
  const boss = await startBoss(url);
  try {
    await boss.createQueue("bench-raw");
    let done = 0;
    const until = performance.now() + PGBOSS_MS;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          await boss.send("bench-raw", { n: done });
          const [job] = await boss.fetch<{ n: number }>("bench-raw");
          if (!job) continue;
          await boss.complete("bench-raw", job.id);
          done++;
        }
      }),
    );
    return Math.round(done / ((performance.now() - started) / 1000));
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

/** Process starts per second from Node, two at a time (one per core): the ceiling for jobs that start a process. */
async function spawnRate(): Promise<number> {
  const started = performance.now();
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn("sh", ["-e", "-c", "true"], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.resume();
      child.stderr!.resume();
      child.once("error", reject);
      child.once("close", () => resolve());
    });
  await Promise.all(
    [0, 1].map(async () => {
      while (next++ < SPAWNS) await one();
    }),
  );
  await sleep(0);
  return Math.round(SPAWNS / ((performance.now() - started) / 1000));
}
