import type { Database } from "@/db/client";

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

  private async insert(firstLine: number, lines: string[], times: number[]) {
    const content = lines.join("\n");
    const notice: LogChunkNotice = { j: this.jobId, f: firstLine, n: lines.length };
    if (content.length + times.length * 14 < INLINE_PAYLOAD_LIMIT) Object.assign(notice, { c: content, t: times });
    const sql = this.db.$client;
    await sql`
      with chunk as (
        insert into job_log_chunks (job_id, first_line, line_count, content, timestamps)
        values (${this.jobId}, ${firstLine}, ${lines.length}, ${content}, ${times}::bigint[])
      ), counted as (
        update jobs set log_lines = ${firstLine + lines.length} where id = ${this.jobId}
      )
      select pg_notify('slipway_logs', ${JSON.stringify(notice)})`;
  }
}
