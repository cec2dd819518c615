import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobLogChunks, jobs, runs } from "@/db/schema";
import { NotFoundError } from "./errors";

export type LogLine = { n: number; at: number; text: string };

/** Lines [fromLine, fromLine + limit) of a job's log, with where the log currently ends. */
export async function readJobLog(
  db: Database,
  { projectId, runId, jobId, fromLine, limit }: { projectId: string; runId: string; jobId: string; fromLine: number; limit: number },
): Promise<{ lines: LogLine[]; total: number; status: string }> {
  const [job] = await db
    .select({ logLines: jobs.logLines, status: jobs.status })
    .from(jobs)
    .innerJoin(runs, eq(runs.id, jobs.runId))
    .where(and(eq(jobs.id, jobId), eq(jobs.runId, runId), eq(runs.projectId, projectId)));
  if (!job) throw new NotFoundError("This job does not exist in this run.");
  const chunks = await db
    .select()
    .from(jobLogChunks)
    .where(
      and(
        eq(jobLogChunks.jobId, jobId),
        // Chunks that overlap the window: ending after fromLine, starting before its end.
        gt(sql`${jobLogChunks.firstLine} + ${jobLogChunks.lineCount}`, fromLine),
        lt(jobLogChunks.firstLine, fromLine + limit),
      ),
    )
    .orderBy(asc(jobLogChunks.firstLine));
  const lines: LogLine[] = [];
  for (const chunk of chunks) {
    chunk.content.split("\n").forEach((text, i) => {
      const n = chunk.firstLine + i;
      if (n >= fromLine && n < fromLine + limit) lines.push({ n, at: chunk.timestamps[i], text });
    });
  }
  return { lines, total: job.logLines, status: job.status };
}
