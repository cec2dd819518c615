import { spawn } from "node:child_process";
import { inArray, sql as dsql } from "drizzle-orm";
import { jobs } from "@/db/schema";
import type { Figure } from "./figure";
import { jobsWithLogs, percentile, round1, runStatus, sleep, waitForRuns, withEngineBench, type EngineBench } from "./engine-env";

/**
 * Dispatch latency, defined as: from the moment the engine marks a job ready
 * (`jobs.queued_at`, set in the transaction that queues it, before its
 * commit; millisecond resolution, rounded down, so the figure errs high by
 * < 1 ms) to the moment its first step's first command runs (the step is
 * `date +%s%N`, whose output is the wall clock when the step's shell had
 * started and run it). Both clocks are this machine's wall clock. It
 * therefore covers the commit, the NOTIFY, the claim, everything the engine
 * does before the step, and the shell's own start.
 */
const STEP = `date +%s%N`;
const PIPELINE = `
on: { manual: {} }
jobs:
  probe: { steps: [ { run: "${STEP}" } ] }
`;

const IDLE_SAMPLES = 300;
const WARMUP_RUNS = 20;
const LOAD_PER_S = 300;
const LOAD_SECONDS = 10;

/**
 * Milliseconds from queued_at to the step's printed clock, per job. Also, on
 * stderr, the two halves around the claim (`started_at`, taken by the worker
 * as it sends the claim): waiting for a worker to hear of the job and fetch
 * it, then everything from the claim to the step's command.
 */
async function dispatchTimes(bench: EngineBench, runIds: string[]): Promise<number[]> {
  const rows = await jobsWithLogs(bench.db, runIds);
  const toClaim: number[] = [];
  const fromClaim: number[] = [];
  const times = rows.map((row) => {
    const line = row.log.find((l) => /^\d{19}$/.test(l));
    if (!line || !row.queuedAt || !row.startedAt) throw new Error(`job ${row.id} (${row.status}) printed no clock: ${row.log.join(" | ")}`);
    const printed = Number(BigInt(line) / 1000n) / 1000;
    toClaim.push(row.startedAt.getTime() - row.queuedAt.getTime());
    fromClaim.push(printed - row.startedAt.getTime());
    return printed - row.queuedAt.getTime();
  });
  process.stderr.write(`dispatch p50 ${round1(percentile(times, 50))} ms = queued to claim ${round1(percentile(toClaim, 50))} + claim to step ${round1(percentile(fromClaim, 50))} (p50s)\n`);
  return times;
}

async function jobStatuses(bench: EngineBench, runIds: string[]): Promise<string> {
  const rows = await bench.db
    .select({ status: jobs.status, n: dsql<number>`count(*)::int` })
    .from(jobs)
    .where(inArray(jobs.runId, runIds))
    .groupBy(jobs.status);
  return rows.map((r) => `${r.n} ${r.status}`).join(", ");
}

/**
 * One run at a time, each started after the previous one finished (heard on
 * `slipway_runs`, not polled): nothing else is going on. After each run the
 * bench also starts the same step command itself, from Node, and times it to
 * its printed clock: `process_start_*` is what starting that process costs on
 * this machine at that moment, a floor under the dispatch figures.
 */
export async function benchDispatchIdle(): Promise<Figure[]> {
  return withEngineBench(async (bench) => {
    await bench.startWorker();
    const finished = new Map<string, () => void>();
    const listening = await bench.sql.listen("slipway_runs", (runId) => finished.get(runId)?.());
    const ids: string[] = [];
    const starts: number[] = [];
    try {
      for (let i = 0; i < WARMUP_RUNS + IDLE_SAMPLES; i++) {
        const run = await bench.startRun(PIPELINE);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`run #${run.number} did not finish within 10 s`)), 10_000);
          const check = () =>
            void runStatus(bench.db, run.id).then((status) => {
              if (!["succeeded", "failed", "cancelled"].includes(status)) return;
              clearTimeout(timer);
              finished.delete(run.id);
              resolve();
            }, reject);
          finished.set(run.id, check);
          check();
        });
        if (i >= WARMUP_RUNS) {
          ids.push(run.id);
          starts.push(await processStartMs());
        }
        // A pause of varying length so the starts do not lock into step with any timer of the worker.
        await sleep(20 + Math.random() * 30);
      }
    } finally {
      await listening.unlisten();
    }
    const times = await dispatchTimes(bench, ids);
    return [
      { name: "dispatch_p50_ms", value: round1(percentile(times, 50)), unit: "ms", goal: "< 15" },
      { name: "dispatch_p99_ms", value: round1(percentile(times, 99)), unit: "ms", goal: "< 50" },
      { name: "process_start_p50_ms", value: round1(percentile(starts, 50)), unit: "ms", goal: "(context: the step's own start, from Node)" },
      { name: "process_start_p99_ms", value: round1(percentile(starts, 99)), unit: "ms", goal: "(context: the step's own start, from Node)" },
    ];
  });
}

/** From spawn() to the clock `sh -e -c "date +%s%N"` prints, as the local executor starts a step. */
function processStartMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const at = performance.timeOrigin + performance.now();
    const child = spawn("sh", ["-e", "-c", STEP], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("close", () => resolve(Number(BigInt(out.trim()) / 1000n) / 1000 - at));
  });
}

/**
 * The same while LOAD_PER_S jobs become ready every second for LOAD_SECONDS.
 * The runs are made beforehand as waiting copies of one run and started on a
 * clock (a late start is caught up, not dropped), each start doing what
 * createRun's does: the run turns running and advanceRun queues its job. Run
 * creation itself (planning, numbering, the audit chain) is the web's work
 * and not part of this figure; on this machine it manages far fewer than 300
 * runs a second, so it could not produce the load. Every job counts.
 */
export async function benchDispatchUnderLoad(): Promise<Figure[]> {
  return withEngineBench(async (bench) => {
    // Enough slots that a job never waits for a free one at this rate: the figure is the engine's, not the queue's.
    await bench.startWorker({ concurrency: 16 });
    let template = "";
    for (let i = 0; i < WARMUP_RUNS; i++) template = (await bench.startRun(PIPELINE)).id;
    const total = LOAD_PER_S * LOAD_SECONDS;
    const ids = await bench.cloneRuns(template, total);
    await sleep(1000);
    const started = performance.now();
    const inFlight = new Set<Promise<void>>();
    let lagging = 0;
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / LOAD_PER_S;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      else if (wait < -100) lagging++;
      if (wait < -5_000) throw new Error(`starting jobs fell ${Math.round(-wait / 1000)} s behind ${LOAD_PER_S}/s after ${i} jobs (${await jobStatuses(bench, ids)}): this machine cannot take the load`);
      // Started concurrently, as independent requests would be, with a bound so a slow database cannot pile up thousands.
      if (inFlight.size >= 32) await Promise.race(inFlight);
      const start: Promise<void> = bench.releaseRun(ids[i]).then(() => void inFlight.delete(start));
      inFlight.add(start);
    }
    await Promise.all(inFlight);
    const arrivalSeconds = (performance.now() - started) / 1000;
    const unfinished = await waitForRuns(bench.db, ids, 30_000);
    if (unfinished.length) throw new Error(`${unfinished.length} of ${total} runs did not finish within 30 s of the last arrival (${await jobStatuses(bench, ids)})`);
    const times = await dispatchTimes(bench, ids);
    const rate = Math.round(total / arrivalSeconds);
    process.stderr.write(`dispatch under load: ${total} jobs became ready at ${rate}/s (${lagging} more than 100 ms late); p50 ${round1(percentile(times, 50))} ms\n`);
    if (rate < LOAD_PER_S * 0.95) throw new Error(`jobs became ready at only ${rate}/s, short of ${LOAD_PER_S}/s: the figure would be for a lighter load`);
    return [{ name: "dispatch_p99_at_300_per_s_ms", value: round1(percentile(times, 99)), unit: "ms", goal: "< 100" }];
  });
}
