import { analyze, metricsFor } from "./analysis";
import { canaryWeights, replicasForWeight, sameWeights } from "./arithmetic";
import { isReady } from "./health";
import type { AnalysisCheck, CanarySpec } from "./spec";
import { instancesOf, instancesOtherThan, startInstances, step, stopInstances, succeed, type StepResult, type StrategyResult } from "./step";
import type { AnalysisJudgement, DeploymentState, Observation } from "./types";

/**
 * Canary: walk the steps in order (setWeight, pause, analysis), then promote fully. The
 * stable version keeps all its instances until the end, so an abort needs no start-up.
 *
 * Finished steps are passed over within one reconcile; a step that is not finished returns
 * (with the actions that move it on), so a replay of the same state repeats nothing.
 *
 * An environment's first deployment has no stable version: nothing to shift traffic from
 * and nothing to compare an analysis with (and, before it serves, no traffic to analyse,
 * so an analysis step would wait for its minimum of requests for ever). It skips the steps
 * and goes straight to full size, as Argo Rollouts does on a Rollout's initial creation
 * ("skipping any canary upgrade steps, analysis, etc., since there was no upgrade"); the
 * status says so. Its health check still applies.
 */
export function reconcileCanary(state: DeploymentState, spec: CanarySpec, observation: Observation, now: number): StrategyResult {
  if (state.stableVersion === null) return promote({ ...state, stepIndex: spec.steps.length, stepStartedAt: null }, spec, observation);
  let current = state.promoted ? { ...state, stepIndex: spec.steps.length, stepStartedAt: null } : state;
  // The last analysis judged on the way, passed or not, for the history.
  let judged: AnalysisJudgement | undefined;
  const withJudgement = <T extends StrategyResult>(result: T): T => (judged && !result.analysis ? { ...result, analysis: judged } : result);
  while (current.stepIndex < spec.steps.length) {
    // The weight in force is held on every pass, as Argo does, so traffic that drifted (a
    // restarted router, say) is put back before a pause or an analysis carries on.
    const held = holdWeight(current, spec, observation, weightAt(spec, current.stepIndex));
    if (held !== "done") return withJudgement(held);
    const outcome = runStep(current, spec, observation, now);
    if ("analysis" in outcome) judged = outcome.analysis;
    if (!("done" in outcome)) return withJudgement(outcome);
    // A finished step leaves no pause behind: a timed pause ends here.
    current = { ...current, phase: "progressing", pause: null, stepIndex: current.stepIndex + 1, stepStartedAt: null };
  }
  return withJudgement(promote(current, spec, observation));
}

/** A step that finished in this pass (with the analysis that passed it, if it was one). */
type Done = { done: true; analysis?: AnalysisJudgement };
const DONE: Done = { done: true };

/** The last setWeight at or before `index`; 0 before the first. */
function weightAt(spec: CanarySpec, index: number): number {
  const set = spec.steps.slice(0, index + 1).flatMap((entry) => ("setWeight" in entry ? [entry.setWeight] : []));
  return set.at(-1) ?? 0;
}

/** A setWeight step is done once its weight is held. */
function runStep(state: DeploymentState, spec: CanarySpec, observation: Observation, now: number): StrategyResult | Done {
  const current = spec.steps[state.stepIndex];
  if ("setWeight" in current) return DONE;
  if ("pause" in current) {
    const paused = pause(state, now, current.pause.durationSeconds);
    return paused === "done" ? DONE : paused;
  }
  return analysis(state, observation, now, current.analysis);
}

/** Canary instances for the weight first, ready, then the traffic, then any surplus canaries stopped. */
function holdWeight(state: DeploymentState, spec: CanarySpec, observation: Observation, weight: number): StepResult | "done" {
  const canary = state.newVersion;
  const wanted = replicasForWeight(spec.replicas, weight);
  const canaries = instancesOf(observation, canary);
  if (canaries.length < wanted) {
    return step(state, `Starting canary instances for ${weight}%`, startInstances(canary, wanted - canaries.length));
  }
  const ready = canaries.filter((instance) => isReady(instance, spec.healthCheck));
  if (ready.length < wanted) return step(state, `Waiting for canary instances: ${ready.length} of ${wanted} ready`);

  const weights = canaryWeights(state.stableVersion, canary, weight);
  if (!sameWeights(observation.traffic, weights)) {
    return step(state, `Sending ${weight}% of traffic to ${canary}`, [{ type: "setTraffic", weights }]);
  }
  // Only after the traffic left them, so a lowered weight never drops requests; unready ones first.
  if (canaries.length > wanted) {
    const surplus = [...canaries.filter((instance) => !ready.includes(instance)), ...ready].slice(0, canaries.length - wanted);
    return step(state, `Scaling ${canary} down to ${wanted}`, stopInstances(surplus));
  }
  return "done";
}

/** Entering records the start and the wake-up once; the pause ends when its time comes or a person resumes. */
function pause(state: DeploymentState, now: number, durationSeconds: number | undefined): StepResult | "done" {
  if (state.stepStartedAt === null) {
    const until = durationSeconds === undefined ? null : now + durationSeconds * 1000;
    const paused: DeploymentState = { ...state, phase: "paused", pause: { kind: "step", until }, stepStartedAt: now };
    if (until === null) return step(paused, "Paused until a person resumes");
    return step(paused, `Paused until ${new Date(until).toISOString()}`, [{ type: "scheduleWake", at: until }]);
  }
  // No pause left means a person resumed (or promoted) it.
  const until = state.pause?.kind === "step" ? state.pause.until : null;
  if (state.pause === null || (until !== null && now >= until)) return "done";
  return step(state, until === null ? "Paused until a person resumes" : `Paused until ${new Date(until).toISOString()}`);
}

/**
 * The window must have passed since the step began before it can pass; it fails as soon as
 * enough requests show a breach (from the pass that enters the step on: the sliding window
 * already holds the canary's requests of the steps before), so a bad canary is stopped early.
 */
function analysis(state: DeploymentState, observation: Observation, now: number, check: AnalysisCheck): StrategyResult | Done {
  const canary = metricsFor(observation.metrics, state.newVersion, check.windowSeconds);
  const stable = state.stableVersion === null ? undefined : metricsFor(observation.metrics, state.stableVersion, check.windowSeconds);
  const verdict = analyze(check, canary, stable);
  const judged: AnalysisJudgement = { step: state.stepIndex, verdict: verdict.verdict, reason: verdict.reason, canary, stable };
  if (verdict.verdict === "fail") return { failure: verdict.reason, analysis: judged };
  if (state.stepStartedAt === null) {
    const started = { ...state, stepStartedAt: now };
    const wake = [{ type: "scheduleWake" as const, at: now + check.windowSeconds * 1000 }];
    return { ...step(started, `Analysing ${state.newVersion} for ${check.windowSeconds} s`, wake), analysis: judged };
  }
  if (verdict.verdict === "pass" && now >= state.stepStartedAt + check.windowSeconds * 1000) return { done: true, analysis: judged };
  return { ...step(state, verdict.reason), analysis: judged };
}

/** After the last step (or promoteNow): canary at full size and ready, all traffic, then stable stopped. */
function promote(state: DeploymentState, spec: CanarySpec, observation: Observation): StepResult {
  const result = promoteSteps(state, spec, observation);
  if (state.stableVersion !== null || result.actions.some((action) => action.type === "markSucceeded")) return result;
  return { ...result, message: `${FIRST_DEPLOYMENT_NOTE}; ${result.message.charAt(0).toLowerCase()}${result.message.slice(1)}` };
}

export const FIRST_DEPLOYMENT_NOTE = "First deployment of this environment: no stable version to compare with, so the canary steps and analysis are skipped";

function promoteSteps(state: DeploymentState, spec: CanarySpec, observation: Observation): StepResult {
  const canary = state.newVersion;
  const canaries = instancesOf(observation, canary);
  if (canaries.length < spec.replicas) {
    return step(state, `Promoting ${canary}: starting instances`, startInstances(canary, spec.replicas - canaries.length));
  }
  const ready = canaries.filter((instance) => isReady(instance, spec.healthCheck)).length;
  if (ready < spec.replicas) return step(state, `Promoting ${canary}: ${ready} of ${spec.replicas} instances ready`);
  if (observation.traffic[canary] !== 100) {
    return step(state, `Promoting ${canary}: sending all traffic to it`, [{ type: "setTraffic", weights: { [canary]: 100 } }]);
  }
  const others = instancesOtherThan(observation, canary);
  if (others.length > 0) return step(state, `Promoting ${canary}: stopping ${state.stableVersion ?? "old instances"}`, stopInstances(others));
  return succeed(state);
}
