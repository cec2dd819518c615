import { evaluateCondition, ExpressionError, ExpressionSyntaxError } from "./expressions";
import type { Job } from "./model";

/** A job of a run as the progress rules see it. */
export type JobState = {
  key: string;
  jobId: string;
  status: "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled" | "skipped";
  needs: string[];
  outputs: Record<string, string>;
  matrix?: Record<string, unknown> | null;
};

export type Transition =
  | { key: string; to: "queued" }
  | { key: string; to: "skipped" | "cancelled"; reason: string };

export type RunOutcome = "running" | "succeeded" | "failed" | "cancelled";

const TERMINAL = new Set(["succeeded", "failed", "cancelled", "skipped"]);
export const isTerminal = (status: JobState["status"]) => TERMINAL.has(status);

/** GitHub's result names, which `needs.<job>.result` reads. */
const RESULT: Record<string, string> = { succeeded: "success", failed: "failure", cancelled: "cancelled", skipped: "skipped" };

type Context = {
  jobs: Record<string, Pick<Job, "if" | "continueOnError">>;
  cancelRequested: boolean;
  expressionContext: Record<string, unknown>;
};

/**
 * Decides which pending jobs can move now that others finished: a job whose
 * needs are all done is queued when its `if` holds (by default: every need
 * succeeded), skipped otherwise; on a cancelled run, pending jobs are
 * cancelled unless their `if` asks for always() or cancelled().
 */
export function nextTransitions(states: JobState[], ctx: Context): Transition[] {
  const byKey = new Map(states.map((s) => [s.key, s]));
  const transitions: Transition[] = [];
  for (const state of states) {
    if (state.status !== "pending") continue;
    const needs = state.needs.map((k) => byKey.get(k)!);
    if (!needs.every((n) => isTerminal(n.status))) continue;
    const job = ctx.jobs[state.jobId];
    const failedNeed = needs.find((n) => n.status === "failed" && !ctx.jobs[n.jobId]?.continueOnError);
    const blockedNeed = needs.find((n) => n.status === "skipped" || n.status === "cancelled");
    const status = { failed: Boolean(failedNeed), cancelled: ctx.cancelRequested || Boolean(blockedNeed && !failedNeed && blockedNeed.status === "cancelled") };
    let run: boolean;
    try {
      run = evaluateCondition(job?.if, { ...ctx.expressionContext, matrix: state.matrix ?? {}, needs: needsContext(needs), status });
    } catch (error) {
      if (!(error instanceof ExpressionError || error instanceof ExpressionSyntaxError)) throw error;
      transitions.push({ key: state.key, to: "skipped", reason: `Its if: could not be evaluated: ${error.message}` });
      continue;
    }
    // A skipped need without a failure still blocks the default success() (GitHub does the same).
    if (run && !job?.if && blockedNeed) run = false;
    if (run) transitions.push({ key: state.key, to: "queued" });
    else if (ctx.cancelRequested) transitions.push({ key: state.key, to: "cancelled", reason: "The run was cancelled." });
    else transitions.push({ key: state.key, to: "skipped", reason: skipReason(job?.if, failedNeed ?? blockedNeed) });
  }
  return transitions;
}

function needsContext(needs: JobState[]) {
  return Object.fromEntries(needs.map((n) => [n.jobId, { result: RESULT[n.status] ?? n.status, outputs: n.outputs }]));
}

function skipReason(condition: string | undefined, need: JobState | undefined): string {
  if (need && !condition) return `Skipped because ${need.key} ${need.status === "failed" ? "failed" : `was ${need.status}`}.`;
  return `Skipped because its condition was false: if: ${condition}`;
}

/** The run's result once every job is done; "running" before that. */
export function runOutcome(states: JobState[], ctx: Pick<Context, "jobs" | "cancelRequested">): RunOutcome {
  if (!states.every((s) => isTerminal(s.status))) return "running";
  if (ctx.cancelRequested || states.some((s) => s.status === "cancelled")) return "cancelled";
  if (states.some((s) => s.status === "failed" && !ctx.jobs[s.jobId]?.continueOnError)) return "failed";
  return "succeeded";
}
