import type { HealthCheck } from "./spec";
import type { HealthTally, ObservedInstance } from "./types";

/** The tally of an instance nobody has probed yet. */
export const UNPROBED: HealthTally = { consecutiveSuccesses: 0, consecutiveFailures: 0, ready: false };

/** One probe passes on exactly the expected status; `null` (timeout, refused connection) fails. */
export function probePassed(status: number | null, check: HealthCheck): boolean {
  return status === check.expectedStatus;
}

/**
 * Adds one probe result. Readiness is sticky between the thresholds, as in Kubernetes: a
 * ready instance stays ready through a blip shorter than failureThreshold, and a starting
 * one needs successThreshold passes in a row.
 */
export function recordProbe(tally: HealthTally, passed: boolean, check: HealthCheck): HealthTally {
  if (passed) {
    const successes = tally.consecutiveSuccesses + 1;
    return { consecutiveSuccesses: successes, consecutiveFailures: 0, ready: tally.ready || successes >= check.successThreshold };
  }
  const failures = tally.consecutiveFailures + 1;
  return { consecutiveSuccesses: 0, consecutiveFailures: failures, ready: tally.ready && failures < check.failureThreshold };
}

export type InstanceHealth = "starting" | "ready" | "unhealthy";

/** Health of an instance that is not stopping. Exited counts as unhealthy: it will not serve. */
export function instanceHealth(instance: ObservedInstance, check: HealthCheck): InstanceHealth {
  if (instance.status === "exited" || instance.health.consecutiveFailures >= check.failureThreshold) return "unhealthy";
  return instance.health.ready ? "ready" : "starting";
}

export function isReady(instance: ObservedInstance, check: HealthCheck): boolean {
  return instanceHealth(instance, check) === "ready";
}

/** Why an unhealthy instance is unhealthy, in a sentence for the deployment's history. */
export function describeUnhealthy(instance: ObservedInstance, check: HealthCheck): string {
  const name = `Instance ${instance.id} of ${instance.version}`;
  if (instance.status === "exited") return `${name} exited`;
  const times = instance.health.consecutiveFailures;
  return `${name} failed its health check (GET ${check.path} expecting ${check.expectedStatus}) ${times} ${times === 1 ? "time" : "times"} in a row`;
}
