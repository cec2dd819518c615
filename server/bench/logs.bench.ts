import { inArray } from "drizzle-orm";
import { jobLogChunks, jobs } from "@/db/schema";
import { createToken } from "@/server/services/tokens";
import type { Figure } from "./figure";
import { percentile, round1, withEngineBench, type EngineBench } from "./engine-env";
import { startWeb, subscribeLog, type SseLine } from "./logs-sse";

/**
 * Log latency: a step prints its wall clock (bash's $EPOCHREALTIME, no
 * process per line) every LATENCY_GAP_S; each line's latency is the time its
 * `lines` event arrived at an SSE client of /api/jobs/<id>/log/stream minus
 * the printed clock. The client subscribes before the step prints (it waits
 * LEAD_S first) and the first WARMUP lines are not counted.
 */
const LATENCY_LINES = 400;
const LATENCY_GAP_S = 0.02;
const LEAD_S = 2;
const WARMUP = 20;

/**
 * Log throughput: one step prints THROUGHPUT_LINES numbered lines as fast as
 * `seq` writes them. The rate is the lines over the time from the step's
 * first printed clock to the arrival of the last line at the SSE client; the
 * bench fails unless the client got every line once and in order and the
 * database holds them all in order.
 */
const THROUGHPUT_LINES = 200_000;

export async function benchLogs(): Promise<Figure[]> {
  return withEngineBench(async (bench) => {
    await bench.startWorker();
    const actor = { userId: bench.owner.id, label: bench.owner.email, ip: null, via: "bench" };
    const { token } = await createToken(bench.db, actor, { name: "bench", scope: "read", expiresInDays: 1 });
    const web = await startWeb({ url: bench.url, dataDir: bench.dataDir, secretKey: bench.secretKey });
    try {
      process.stderr.write(`log benches measure to an SSE client of: ${web.kind}\n`);
      const latencies = await latency(bench, web.port, token);
      const rate = await throughput(bench, web.port, token);
      return [
        { name: "log_latency_p50_ms", value: round1(percentile(latencies, 50)), unit: "ms", goal: "< 100" },
        { name: "log_latency_p99_ms", value: round1(percentile(latencies, 99)), unit: "ms", goal: "< 250" },
        { name: "log_lines_per_s", value: rate, unit: "lines/s", goal: ">= 20000" },
      ];
    } finally {
      await web.stop();
    }
  });
}

/** Starts a one-job run with this bash step and subscribes to the job's log stream at once. */
async function streamJob(bench: EngineBench, port: number, token: string, script: string, onLines: (lines: SseLine[], at: number) => void) {
  const run = await bench.startRun(`
on: { manual: {} }
jobs:
  talk:
    steps:
      - shell: bash
        run: ${JSON.stringify(script)}
`);
  const [job] = await bench.db.select({ id: jobs.id }).from(jobs).where(inArray(jobs.runId, [run.id]));
  const stream = subscribeLog(port, token, job.id, onLines);
  await stream.connected;
  return { jobId: job.id, stream };
}

async function latency(bench: EngineBench, port: number, token: string): Promise<number[]> {
  const times: number[] = [];
  const script = `sleep ${LEAD_S}; for i in $(seq 1 ${LATENCY_LINES}); do echo "$EPOCHREALTIME"; sleep ${LATENCY_GAP_S}; done`;
  const { stream } = await streamJob(bench, port, token, script, (lines, at) => {
    for (const line of lines) if (/^\d+\.\d{6}$/.test(line.text)) times.push(at - Number(line.text) * 1000);
  });
  const status = await withTimeout(stream.ended, 60_000, "the latency job's stream did not end within 60 s");
  if (status !== "succeeded") throw new Error(`the latency job ended ${status}`);
  if (times.length !== LATENCY_LINES) throw new Error(`the client got ${times.length} of ${LATENCY_LINES} clock lines`);
  return times.slice(WARMUP);
}

async function throughput(bench: EngineBench, port: number, token: string): Promise<number> {
  let startedAt = 0;
  let expected = 1;
  let lastAt = 0;
  let disorder = "";
  const script = `sleep ${LEAD_S}; echo "start $EPOCHREALTIME"; seq 1 ${THROUGHPUT_LINES}`;
  const { jobId, stream } = await streamJob(bench, port, token, script, (lines, at) => {
    for (const line of lines) {
      if (line.text.startsWith("start ")) startedAt = Number(line.text.slice(6)) * 1000;
      else if (/^\d+$/.test(line.text)) {
        if (Number(line.text) !== expected && !disorder) disorder = `line ${line.n} is "${line.text}", expected "${expected}"`;
        expected++;
        lastAt = at;
      }
    }
  });
  const status = await withTimeout(stream.ended, 90_000, "the throughput job's stream did not end within 90 s");
  if (status !== "succeeded") throw new Error(`the throughput job ended ${status}`);
  if (disorder) throw new Error(`the client got lines out of order: ${disorder}`);
  if (expected !== THROUGHPUT_LINES + 1) throw new Error(`the client got ${expected - 1} of ${THROUGHPUT_LINES} lines`);
  await checkStored(bench, jobId);
  return Math.round(THROUGHPUT_LINES / ((lastAt - startedAt) / 1000));
}

/** Every numbered line is in the database once, in order, in chunks without gaps. */
async function checkStored(bench: EngineBench, jobId: string) {
  const chunks = await bench.db.select().from(jobLogChunks).where(inArray(jobLogChunks.jobId, [jobId])).orderBy(jobLogChunks.firstLine);
  let line = 0;
  const numbers: string[] = [];
  for (const chunk of chunks) {
    if (chunk.firstLine !== line) throw new Error(`the stored log has a gap or overlap at line ${line}`);
    line += chunk.lineCount;
    numbers.push(...chunk.content.split("\n").filter((l) => /^\d+$/.test(l)));
  }
  if (numbers.length !== THROUGHPUT_LINES || numbers.some((n, i) => Number(n) !== i + 1)) throw new Error("the stored log misses lines or has them out of order");
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}
