import type { Database } from "@/db/client";
import { Batcher } from "../batcher";

/** NOTIFY payloads must stay under PostgreSQL's 8,000 bytes; larger chunks are read from the table. */
const INLINE_PAYLOAD_LIMIT = 7_000;

export type LogChunkNotice = { j: string; f: number; n: number; c?: string; t?: number[] };

/**
 * Buffers a job's log lines and writes them in batches: one statement per
 * batch inserts the chunk, advances the job's line count and notifies
 * listeners (the web process fans lines out to browsers). Batches are written
 * in order, one at a time.
 *
 * A line after a quiet spell is written at once (with whatever the step
 * printed in the same instant), so people watching see it within a round
 * trip; while a step keeps printing, batches go out at most every `flushMs`,
 * which bounds the statements (each a commit with a NOTIFY) a chatty step costs.
 */
export class LogWriter {
  private lines: string[] = [];
  private times: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private lastFlushAt = -Infinity;

  constructor(
    private readonly db: Database,
    private readonly jobId: string,
    private nextLine: number,
    private readonly options: { flushMs?: number; maxLines?: number } = {},
  ) {}

  get linesWritten(): number {
    return this.nextLine + this.lines.length;
  }

  write(line: string, at = Date.now()): void {
    this.lines.push(line);
    this.times.push(at);
    if (this.lines.length >= (this.options.maxLines ?? 1000)) this.flushInBackground();
    else this.timer ??= setTimeout(() => this.flushInBackground(), Math.max(0, this.lastFlushAt + (this.options.flushMs ?? 50) - performance.now()));
  }

  /** A failed batch is remembered and reported by the caller's next flush(); nobody awaits this one. */
  private flushInBackground() {
    this.flush().catch(() => undefined);
  }

  /** Sends what is buffered; resolves when everything written so far is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.lines.length > 0) {
      this.lastFlushAt = performance.now();
      const lines = this.lines;
      const times = this.times;
      const firstLine = this.nextLine;
      this.lines = [];
      this.times = [];
      this.nextLine += lines.length;
      this.writing = this.writing.then(() => this.insert(firstLine, lines, times)).catch((error: Error) => {
        this.failure ??= error;
      });
    }
    return this.writing.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  private insert(firstLine: number, lines: string[], times: number[]): Promise<void> {
    return chunkSink(this.db).add({ jobId: this.jobId, firstLine, lines, times });
  }
}

type Chunk = { jobId: string; firstLine: number; lines: string[]; times: number[] };

const sinks = new WeakMap<object, Batcher<Chunk, void>>();

/**
 * Every writer on one connection pool shares a sink: chunks of several jobs
 * that are ready while a statement is out go in the next one together. A
 * writer sends its next chunk only after the last is stored, so each job's
 * chunks still arrive in order.
 */
function chunkSink(db: Database): Batcher<Chunk, void> {
  let sink = sinks.get(db.$client);
  if (!sink) {
    sink = new Batcher(
      (chunks) => insertChunks(db.$client, chunks).then(() => chunks.map(() => undefined)),
      (chunk) => insertChunks(db.$client, [chunk]),
    );
    sinks.set(db.$client, sink);
  }
  return sink;
}

/** One statement inserts the chunks, advances each job's line count and notifies listeners (the web fans lines out to browsers). */
async function insertChunks(sql: Database["$client"], chunks: Chunk[]): Promise<void> {
  const rows = chunks.map(({ jobId, firstLine, lines, times }) => ({ job_id: jobId, first_line: firstLine, line_count: lines.length, content: lines.join("\n"), timestamps: times }));
  const notices = rows.map(({ job_id, first_line, line_count, content, timestamps }) => {
    const notice: LogChunkNotice = { j: job_id, f: first_line, n: line_count };
    if (content.length + timestamps.length * 14 < INLINE_PAYLOAD_LIMIT) Object.assign(notice, { c: content, t: timestamps });
    return JSON.stringify(notice);
  });
  await sql`
    with chunk as (
      insert into job_log_chunks (job_id, first_line, line_count, content, timestamps)
      select * from json_to_recordset(${JSON.stringify(rows)}::json) as v(job_id uuid, first_line bigint, line_count int, content text, timestamps bigint[])
      returning job_id, first_line + line_count as lines
    ), counted as (
      update jobs set log_lines = chunk.lines from chunk where jobs.id = chunk.job_id
    )
    select pg_notify('slipway_logs', notice) from json_array_elements_text(${JSON.stringify(notices)}::json) as notice`;
}
