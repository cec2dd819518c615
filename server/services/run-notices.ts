import type { Tx } from "@/db/client";
import type { Run } from "@/db/schema";
import { emitNotification } from "./notifications";

export type RunEnding = "succeeded" | "failed" | "cancelled";

type EndedRun = Pick<Run, "id" | "projectId" | "number" | "branch" | "tag" | "commitSha">;

/** "Run #12 on main (1a2b3c4) failed": the sentence a chat channel shows. */
export function runEndSummary(run: EndedRun, status: RunEnding): string {
  const ref = run.tag ? ` for tag ${run.tag}` : run.branch ? ` on ${run.branch}` : "";
  return `Run #${run.number}${ref} (${run.commitSha.slice(0, 7)}) ${status}`;
}

/** Tells the project's hooks that a run ended, in the transaction that ended it. */
export function noticeRunEnded(tx: Tx, run: EndedRun, status: RunEnding): Promise<number> {
  return emitNotification(tx, {
    projectId: run.projectId,
    event: `run.${status}`,
    summary: runEndSummary(run, status),
    path: `/projects/{slug}/runs/${run.number}`,
    data: { runId: run.id, number: run.number, status, branch: run.branch, tag: run.tag, sha: run.commitSha },
  });
}
