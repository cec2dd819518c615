import type { Action, AnalysisJudgement, DeploymentState, Observation, ObservedInstance } from "./types";

/**
 * What one strategy pass returns: the next state, the actions that converge the target
 * toward it, and a sentence for people. A pass that emits actions stops there, so the next
 * reconcile decides on an observation that shows their effect.
 */
export interface StepResult {
  state: DeploymentState;
  actions: Action[];
  message: string;
  /** A canary analysis judged on the way. */
  analysis?: AnalysisJudgement;
}

/** A strategy pass ends either with a step or with the reason the new version failed. */
export type StrategyResult = StepResult | { failure: string; analysis?: AnalysisJudgement };

export function step(state: DeploymentState, message: string, actions: Action[] = []): StepResult {
  return { state, actions, message };
}

export function succeed(state: DeploymentState): StepResult {
  return step({ ...state, phase: "succeeded" }, `${state.newVersion} is live`, [{ type: "markSucceeded" }]);
}

/** Instances of `version` that still count: everything but those already stopping. */
export function instancesOf(observation: Observation, version: string): ObservedInstance[] {
  return observation.instances.filter((instance) => instance.version === version && instance.status !== "stopping");
}

/** Instances of any other version than `version` that are not already stopping. */
export function instancesOtherThan(observation: Observation, version: string): ObservedInstance[] {
  return observation.instances.filter((instance) => instance.version !== version && instance.status !== "stopping");
}

export function startInstances(version: string, count: number): Action[] {
  return count > 0 ? [{ type: "startInstances", version, count }] : [];
}

/** One drained stop per version, ids sorted so the same instances give the same action. */
export function stopInstances(instances: ObservedInstance[]): Action[] {
  const byVersion = new Map<string, string[]>();
  for (const instance of instances) byVersion.set(instance.version, [...(byVersion.get(instance.version) ?? []), instance.id]);
  return [...byVersion].map(([version, ids]) => ({ type: "stopInstances", version, instanceIds: ids.sort(), drain: true }));
}
