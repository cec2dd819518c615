import { resolveRollingLimits, rollingBatch, sameWeights, weightsFromReadyCounts } from "./arithmetic";
import { isReady } from "./health";
import type { RollingSpec } from "./spec";
import { instancesOf, instancesOtherThan, startInstances, step, stopInstances, succeed, type StepResult } from "./step";
import type { Action, DeploymentState, Observation, ObservedInstance } from "./types";

/**
 * Rolling update: replace instances in batches behind readiness checks, never above
 * replicas + maxSurge instances and never below replicas - maxUnavailable ready ones.
 *
 * Each pass is level-triggered: it compares what the observation shows with where the
 * rollout must go, so a replay after a crash asks only for what is still missing.
 */
export function reconcileRolling(state: DeploymentState, spec: RollingSpec, observation: Observation): StepResult {
  const check = spec.healthCheck;
  const fresh = instancesOf(observation, state.newVersion);
  // Anything not of the new version is old, leftovers of earlier releases included.
  const old = instancesOtherThan(observation, state.newVersion);
  const freshReady = fresh.filter((instance) => isReady(instance, check)).length;
  const oldReady = byId(old.filter((instance) => isReady(instance, check)));
  const oldUnready = old.filter((instance) => !isReady(instance, check));

  const limits = resolveRollingLimits(spec.replicas, spec.maxSurge, spec.maxUnavailable);
  const batch = rollingBatch(spec.replicas, limits, {
    oldTotal: old.length,
    oldReady: oldReady.length,
    newTotal: fresh.length,
    newReady: freshReady,
  });

  // Old instances that serve nothing go first; they cost no availability.
  const stopping = [...oldUnready, ...oldReady.slice(0, batch.stopReadyOld)];
  const staying = [...old, ...fresh].filter((instance) => !stopping.includes(instance) && isReady(instance, check));
  const actions: Action[] = [];
  // Traffic follows the ready instances that stay, and moves before any stop, so a draining
  // version is never the only one with weight.
  const weights = weightsFromReadyCounts(countByVersion(staying));
  if (!sameWeights(observation.traffic, weights)) actions.push({ type: "setTraffic", weights });
  actions.push(...stopInstances(stopping), ...startInstances(state.newVersion, batch.start));

  const progress = `${freshReady} of ${spec.replicas} new instances ready, ${old.length} old left`;
  if (actions.length > 0) return step(state, `Replacing instances: ${progress}`, actions);
  if (old.length === 0 && freshReady >= spec.replicas) return succeed(state);
  return step(state, `Waiting for new instances to become ready: ${progress}`);
}

function byId(instances: ObservedInstance[]): ObservedInstance[] {
  // A fixed order makes a replay pick the same instances to stop.
  return [...instances].sort((a, b) => a.id.localeCompare(b.id));
}

function countByVersion(instances: ObservedInstance[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const instance of instances) counts[instance.version] = (counts[instance.version] ?? 0) + 1;
  return counts;
}
