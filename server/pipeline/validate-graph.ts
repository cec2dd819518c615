import { didYouMean } from "./diagnostics";
import type { Ctx } from "./reader";
import type { JobSource } from "./validate-job";

/** Checks that every `needs` names another job and that the jobs form no cycle. */
export function validateGraph(ctx: Ctx, jobs: JobSource[]): void {
  const byId = new Map(jobs.map((source) => [source.job.id, source]));
  const ids = [...byId.keys()];
  for (const { job, needs } of jobs) {
    const seen = new Set<string>();
    for (const need of needs) {
      if (need.id === job.id) {
        ctx.d.error(`Job "${job.id}" cannot need itself.`, need.pos, need.path);
      } else if (!byId.has(need.id)) {
        const others = ids.filter((id) => id !== job.id);
        ctx.d.error(
          `Job "${job.id}" needs "${need.id}", which is not a job in this pipeline.${didYouMean(need.id, others)}`,
          need.pos,
          need.path,
        );
      } else if (seen.has(need.id)) {
        ctx.d.warn(`Job "${job.id}" lists "${need.id}" in needs twice.`, need.pos, need.path);
      }
      seen.add(need.id);
    }
  }

  // Depth-first search in file order; each cycle is reported once, at the need that closes it.
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, "visiting");
    stack.push(id);
    for (const need of byId.get(id)!.needs) {
      if (need.id === id || !byId.has(need.id)) continue;
      const seen = state.get(need.id);
      if (seen === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(need.id)), need.id];
        ctx.d.error(`Jobs need each other in a cycle: ${cycle.join(" -> ")}. Remove one of these needs.`, need.pos, need.path);
      } else if (seen === undefined) {
        visit(need.id);
      }
    }
    stack.pop();
    state.set(id, "done");
  };
  for (const id of ids) if (!state.has(id)) visit(id);
}
