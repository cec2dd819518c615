import { readJobLog, type LogLine } from "@/server/services/job-logs";
import { readableJob } from "../readable-job";
import { liveEvents, serialQueue, sseResponse, TERMINAL_JOB_STATUSES, type JobLogEvent } from "@/server/services/live-events";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const PAGE = 5_000;

/**
 * A job's log as Server-Sent Events: `lines` events ({lines: [{n, at, text}]},
 * each with the next line number as its id) from line `from` (or the browser's
 * Last-Event-ID after a reconnect) on, live as the worker writes them, then
 * `end` ({status}) once the job is done.
 */
export async function GET(request: Request, { params }: { params: Promise<{ jobId: string }> }) {
  const { jobId } = await params;
  const readable = await readableJob(request, jobId);
  if (readable instanceof Response) return readable;
  const { ctx, job } = readable;
  const resumeAt = request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("from");
  const from = Math.max(0, Math.floor(Number(resumeAt) || 0));
  const scope = { projectId: job.projectId, runId: job.runId, jobId };
  const db = ctx.db;

  return sseResponse(request, async (out) => {
    let next = from;
    let ended = false;
    const serial = serialQueue();

    const send = (lines: LogLine[]) => (lines.length ? out.send("lines", { lines }, String(lines.at(-1)!.n + 1)) : Promise.resolve());

    /** Sends what the table holds from `next` to its current end; returns the job's status as read before the lines. */
    const catchUp = async (): Promise<string> => {
      for (;;) {
        const page = await readJobLog(db, { ...scope, fromLine: next, limit: PAGE });
        const fresh = page.lines.filter((l) => l.n >= next);
        if (fresh.length) next = fresh.at(-1)!.n + 1;
        await send(fresh);
        if (page.lines.length < PAGE || out.closed) return page.status;
      }
    };

    /** The worker stores every line before it settles a job, so a terminal status read before a catch-up means nothing is left. */
    const endIfDone = async (status: string) => {
      if (ended || !TERMINAL_JOB_STATUSES.includes(status)) return;
      ended = true;
      await out.send("end", { status });
      out.close();
    };

    const onChunk = (event: JobLogEvent) =>
      serial(async () => {
        if (ended || out.closed) return;
        // Missed notices, content too large for a notice, or a gap before this chunk: the table has it all.
        if (event.kind === "resync" || event.lines === null || event.firstLine > next) return void (await endIfDone(await catchUp()));
        const skip = next - event.firstLine;
        if (skip >= event.count) return;
        const lines = event.lines.slice(skip).map((l, i) => ({ n: next + i, at: l.at, text: l.text }));
        next += lines.length;
        await send(lines);
      });

    const onRunChange = () =>
      serial(async () => {
        if (!ended && !out.closed) await endIfDone(await catchUp());
      });

    // Subscribe first, then read: a chunk written between the read and the subscription cannot fall in between.
    out.onClose(liveEvents().subscribeJobLog(jobId, onChunk));
    out.onClose(liveEvents().subscribeRun(job.runId, onRunChange));
    await liveEvents().ready();
    await serial(async () => endIfDone(await catchUp()));
  });
}
