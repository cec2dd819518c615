import { isReady } from "./health";
import type { BlueGreenSpec } from "./spec";
import { instancesOf, instancesOtherThan, startInstances, step, stopInstances, succeed, type StrategyResult } from "./step";
import type { Action, DeploymentState, Observation } from "./types";

/**
 * Blue-green: start green (the new version) beside blue at full size, check it, switch all
 * traffic at once, keep blue warm for scaleDownDelaySeconds so a rollback is instant, then
 * stop blue. The steps run in order; each returns early while it is not done, so a pass
 * after a crash resumes at the first unfinished one.
 */
export function reconcileBlueGreen(state: DeploymentState, spec: BlueGreenSpec, observation: Observation, now: number): StrategyResult {
  const green = state.newVersion;
  const greens = instancesOf(observation, green);

  // 1. Green at full size. Counted from the observation, so a replay never starts a second set.
  if (greens.length < spec.replicas) {
    return step(state, `Starting ${green}`, startInstances(green, spec.replicas - greens.length));
  }

  // 2. Every green instance ready before anyone is sent to it.
  const ready = greens.filter((instance) => isReady(instance, spec.healthCheck)).length;
  if (ready < spec.replicas) return step(state, `Waiting for ${green}: ${ready} of ${spec.replicas} instances ready`);

  // 3. All traffic to green at once, after the smoke test and the promotion gate. Once it was
  // switched green has passed them, so traffic seen anywhere else has drifted and goes back.
  if (observation.traffic[green] !== 100) {
    if (state.switchedAt === null) return beforeSwitch(state, spec, observation);
    return step(state, `Switching all traffic to ${green}`, [{ type: "switchTraffic", to: green }]);
  }

  // 4. Blue stays warm until the delay passes; a failure until then switches straight back.
  // The switch is recorded when the target shows it, and the wake asked for on that pass only.
  const blues = instancesOtherThan(observation, green);
  const blue = state.stableVersion ?? "blue";
  const switched = { ...state, switchedAt: state.switchedAt ?? now };
  const scaleDownAt = switched.switchedAt + spec.scaleDownDelaySeconds * 1000;
  if (blues.length > 0 && now < scaleDownAt) {
    const wake: Action[] = state.switchedAt === null ? [{ type: "scheduleWake", at: scaleDownAt }] : [];
    return step(switched, `${green} serves all traffic; keeping ${blue} warm until ${new Date(scaleDownAt).toISOString()}`, wake);
  }

  // 5. Blue goes, and the deployment is done once the target shows it gone.
  if (blues.length > 0) return step(switched, `Stopping ${blue}`, stopInstances(blues));
  return succeed(switched);
}

/** The smoke test and the promotion gate, then the switch. */
function beforeSwitch(state: DeploymentState, spec: BlueGreenSpec, observation: Observation): StrategyResult {
  const green = state.newVersion;
  const job = spec.smokeTestJob ?? null;
  // promoteNow skips the smoke test and the promotion gate, never readiness.
  if (!state.promoted && (spec.previewChecks.length > 0 || job !== null)) {
    const smoke = observation.smokeTest;
    // Asked for only while no run is reported, so a replay does not start a second run.
    if (smoke === null) {
      return step(state, `Running smoke tests against ${green}`, [
        { type: "runSmokeTest", version: green, checks: spec.previewChecks, job },
      ]);
    }
    if (smoke.status === "failed") return { failure: `Smoke test of ${green} failed: ${smoke.detail}` };
    if (smoke.status === "running") return step(state, `Running smoke tests against ${green}`);
  }

  if (!spec.autoPromote && !state.promoted) {
    return step({ ...state, phase: "paused", pause: { kind: "promotion" } }, `${green} passed its checks; waiting for a person to promote it`);
  }

  return step(state, `Switching all traffic to ${green}`, [{ type: "switchTraffic", to: green }]);
}
