import { parsePipeline, planPipeline, type Job, type Pipeline, type Plan, type TriggerEvent } from "@/server/pipeline";
import type { RunEvent } from "@/db/schema";
import { InvalidInputError } from "./errors";

/** What a run stores of its pipeline: the plan plus the jobs' definitions, without source positions. */
export type StoredPlan = Plan & { pipeline: Omit<Pipeline, "locations"> & { jobs: Record<string, Job> } };

export type RunTriggerName = "push" | "pull_request" | "tag" | "manual" | "schedule" | "api" | "poll" | "rerun";

/** Parses and plans a pipeline for a run, or says (with line:column) why it cannot run. */
export function planRun(yaml: string, trigger: RunTriggerName, event: RunEvent, inputs: Record<string, string | number | boolean>): StoredPlan {
  const parsed = parsePipeline(yaml);
  if (!parsed.ok) {
    const lines = parsed.errors.slice(0, 5).map((e) => `line ${e.line}:${e.column}: ${e.message}`);
    const more = parsed.errors.length > 5 ? ` (and ${parsed.errors.length - 5} more)` : "";
    throw new InvalidInputError(`The pipeline does not validate: ${lines.join("; ")}${more}`, "pipeline");
  }
  const { locations: _locations, ...pipeline } = parsed.pipeline;
  const plan = planPipeline(parsed.pipeline, { inputs, trigger: triggerEvent(trigger, event, inputs) });
  return { ...plan, pipeline };
}

function triggerEvent(trigger: RunTriggerName, event: RunEvent, inputs: Record<string, unknown>): TriggerEvent {
  if (event.tag) return { type: "push", tag: event.tag };
  if (trigger === "pull_request" && event.pullRequest) {
    return { type: "pull_request", baseBranch: event.pullRequest.baseRef, headBranch: event.pullRequest.headRef };
  }
  if (trigger === "manual" || trigger === "api") return { type: "manual", inputs };
  return { type: "push", branch: event.branch ?? "" };
}

/** What `${{ run.* }}` reads: the same names for every trigger. */
export function runContext(run: { id: string; number: number; trigger: string; commitSha: string; branch: string | null; tag: string | null; event: RunEvent }) {
  return {
    id: run.id,
    number: run.number,
    event: run.trigger,
    sha: run.commitSha,
    ref: run.event.ref ?? (run.tag ? `refs/tags/${run.tag}` : run.branch ? `refs/heads/${run.branch}` : ""),
    branch: run.branch ?? "",
    tag: run.tag ?? "",
    message: run.event.message ?? "",
    author: run.event.author ?? {},
    pull_request: run.event.pullRequest ?? null,
  };
}
