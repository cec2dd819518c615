import type { GraphEdge } from "@/server/pipeline/document";

/** The fields of a job row the run graph reads (dates arrive as Date through superjson). */
export type RunJob = {
  id: string;
  key: string;
  jobId: string;
  name: string;
  status: string;
  needs: string[];
  matrix: unknown;
  attempt: number;
  reason: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
};

/** One node of the run graph: a pipeline job, with its matrix runs when it has several. */
export type RunGroup = {
  id: string;
  name: string;
  jobs: RunJob[];
  status: string;
  startedAt: Date | null;
  /** Null while any of its runs has not finished. */
  finishedAt: Date | null;
};

const DONE = new Set(["succeeded", "failed", "cancelled", "skipped"]);

/** A group is as far along as its least finished run; once all are done, the worst outcome shows. */
export function groupStatus(statuses: string[]): string {
  for (const s of ["running", "queued", "pending", "failed", "cancelled"]) if (statuses.includes(s)) return s;
  if (statuses.length > 0 && statuses.every((s) => s === "skipped")) return "skipped";
  return "succeeded";
}

export function groupJobs(jobs: RunJob[]): { groups: RunGroup[]; edges: GraphEdge[] } {
  const byId = new Map<string, RunJob[]>();
  for (const job of jobs) byId.set(job.jobId, [...(byId.get(job.jobId) ?? []), job]);
  const jobIdOfKey = new Map(jobs.map((j) => [j.key, j.jobId]));
  const groups: RunGroup[] = [...byId].map(([id, list]) => {
    const started = list.map((j) => j.startedAt?.getTime()).filter((t): t is number => t !== undefined);
    const allDone = list.every((j) => DONE.has(j.status));
    const finished = list.map((j) => j.finishedAt?.getTime() ?? 0);
    return {
      id,
      name: list.length > 1 ? list[0].name.replace(/\s*[([].*$/, "") || id : list[0].name,
      jobs: list,
      status: groupStatus(list.map((j) => j.status)),
      startedAt: started.length ? new Date(Math.min(...started)) : null,
      finishedAt: allDone && started.length ? new Date(Math.max(...finished)) : null,
    };
  });
  const seen = new Set<string>();
  const edges: GraphEdge[] = [];
  for (const job of jobs) {
    for (const need of job.needs) {
      const source = jobIdOfKey.get(need);
      const id = `${source}->${job.jobId}`;
      if (source && source !== job.jobId && !seen.has(id)) {
        seen.add(id);
        edges.push({ source, target: job.jobId });
      }
    }
  }
  return { groups, edges };
}

/**
 * The chain of jobs that decided how long the run took: start from the job
 * that finished last and walk back, each time to the needed job that finished
 * last (the one it actually waited for). Running jobs count as finishing now.
 */
export function criticalPath(groups: RunGroup[], edges: GraphEdge[], now: number): string[] {
  const end = (g: RunGroup) => (g.startedAt ? (g.finishedAt?.getTime() ?? now) : null);
  const byId = new Map(groups.map((g) => [g.id, g]));
  let last: RunGroup | undefined;
  for (const g of groups) {
    const e = end(g);
    if (e !== null && (!last || e > (end(last) ?? 0))) last = g;
  }
  const path: string[] = [];
  const visited = new Set<string>();
  while (last && !visited.has(last.id)) {
    visited.add(last.id);
    path.unshift(last.id);
    const target = last.id;
    const needed = edges.filter((e) => e.target === target).map((e) => byId.get(e.source)).filter((g): g is RunGroup => !!g && end(g) !== null);
    last = needed.sort((a, b) => (end(b) ?? 0) - (end(a) ?? 0))[0];
  }
  return path;
}
