import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Figure } from "./figure";
import { jobsWithLogs, waitForRuns, withEngineBench } from "./engine-env";

/**
 * 1,000 runs started at once against two worker processes: one run is
 * created as the API creates runs, 999 copies of it wait (status queued) and
 * are then all started concurrently, each start doing what createRun's does
 * (the run turns running and advanceRun queues its first job). Creating runs
 * one by one is the web's work and far slower on this machine than starting
 * them; it would spread the burst over minutes. Each run is a
 * small DAG (`a`, then `b` once `a` is done); each job's step appends its
 * run id, job key and attempt to one shared file (O_APPEND, so lines never
 * interleave), which is the record of what really ran, independent of the
 * database. Lost: runs not finished (succeeded) when the engine stops
 * making progress: none finishing for STALL_MS (the whole burst takes minutes
 * on a loaded machine, which is slowness, not loss).
 * Duplicated: jobs whose step ran more than once, by the file; the bench
 * also fails if the database disagrees with the file.
 */
const RUNS = 1000;
const STARTING_AT_ONCE = 16;
const DEADLINE_MS = 90_000;
const STALL_MS = 30_000;

export async function benchRunsInFlight(): Promise<Figure[]> {
  return withEngineBench(async (bench) => {
    const ledger = path.join(bench.dataDir, "ran.txt");
    const yaml = `
on: { manual: {} }
jobs:
  a: { steps: [ { run: "echo \\"$SLIPWAY_RUN_ID a $SLIPWAY_JOB_ATTEMPT\\" >> ${ledger}" } ] }
  b: { needs: a, steps: [ { run: "echo \\"$SLIPWAY_RUN_ID b $SLIPWAY_JOB_ATTEMPT\\" >> ${ledger}" } ] }
`;
    const template = await bench.startRun(yaml);
    const ids = [template.id, ...(await bench.cloneRuns(template.id, RUNS - 1))];
    await bench.startWorker();
    await bench.startWorker();
    let next = 1;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: STARTING_AT_ONCE }, async () => {
        while (next < RUNS) await bench.releaseRun(ids[next++]);
      }),
    );
    const createdS = (performance.now() - started) / 1000;
    const open = await waitForRuns(bench.db, ids, DEADLINE_MS, 250, STALL_MS);
    const finishedS = (performance.now() - started) / 1000;
    const rows = await jobsWithLogs(bench.db, ids);
    const notSucceeded = new Set(rows.filter((r) => r.status !== "succeeded").map((r) => r.runId));
    const lost = new Set([...open, ...notSucceeded]).size;

    const ran = new Map<string, number>();
    for (const line of (await readFile(ledger, "utf8")).split("\n").filter(Boolean)) {
      const [runId, key] = line.split(" ");
      ran.set(`${runId} ${key}`, (ran.get(`${runId} ${key}`) ?? 0) + 1);
    }
    const duplicated = [...ran.values()].filter((n) => n > 1).length;
    const retried = rows.filter((r) => r.attempt > 1).length;
    const doneInDb = rows.filter((r) => r.status === "succeeded").length;
    const ranOnce = [...ran.values()].filter((n) => n >= 1).length;
    if (ranOnce !== doneInDb && open.length === 0) throw new Error(`the database says ${doneInDb} jobs succeeded but ${ranOnce} steps ran`);
    process.stderr.write(
      `runs in flight: ${RUNS} runs started in ${createdS.toFixed(1)} s, waited until ${finishedS.toFixed(1)} s; ` +
        `${rows.length} jobs (${statusCounts(rows)}), ${retried} retried, ${open.length} runs unfinished\n`,
    );
    return [
      { name: "runs_in_flight_1000_lost", value: lost, unit: "runs", goal: "0" },
      { name: "runs_in_flight_1000_duplicated", value: duplicated, unit: "jobs", goal: "0" },
    ];
  });
}

function statusCounts(rows: Array<{ status: string }>): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
}
