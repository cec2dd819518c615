import { readJobLog } from "@/server/services/job-logs";
import { readableJob } from "../readable-job";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const PAGE = 5_000;

/** The whole log of a job as plain text, streamed page by page so a log of millions of lines never sits in memory. */
export async function GET(request: Request, { params }: { params: Promise<{ jobId: string }> }) {
  const { jobId } = await params;
  const readable = await readableJob(request, jobId);
  if (readable instanceof Response) return readable;
  const { ctx, job } = readable;
  const scope = { projectId: job.projectId, runId: job.runId, jobId };
  const encoder = new TextEncoder();
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const page = await readJobLog(ctx.db, { ...scope, fromLine: next, limit: PAGE });
      if (page.lines.length === 0) return controller.close();
      next = page.lines.at(-1)!.n + 1;
      controller.enqueue(encoder.encode(page.lines.map((l) => `${l.text}\n`).join("")));
    },
  });
  const filename = `${job.projectSlug}-run-${job.runNumber}-${job.key}.log`.replace(/[^A-Za-z0-9._-]+/g, "_");
  return new Response(body, {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
