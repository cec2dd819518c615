import { minReady, resolveRollingLimits } from "./arithmetic";
import { reconcileBlueGreen } from "./blue-green";
import { reconcileCanary } from "./canary";
import { describeUnhealthy, instanceHealth, isReady } from "./health";
import { reconcileRolling } from "./rolling";
import type { DeploymentSpec } from "./spec";
import { instancesOf, startInstances, step, stopInstances, type StepResult, type StrategyResult } from "./step";
import {
  TERMINAL_PHASES,
  type Action,
  type DeploymentState,
  type DeploymentStatus,
  type ManualSignal,
  type Observation,
  type ReconcileResult,
} from "./types";

export interface NewDeployment {
  spec: DeploymentSpec;
  /** The version serving now, or null when the environment has none. */
  stableVersion: string | null;
  newVersion: string;
}

export function createDeployment({ spec, stableVersion, newVersion }: NewDeployment): DeploymentState {
  // Instances and traffic are told apart by version alone.
  if (stableVersion === newVersion) throw new Error(`The new version must differ from the stable one (both are "${newVersion}")`);
  return {
    spec,
    stableVersion,
    newVersion,
    phase: "pending",
    pause: null,
    stepIndex: 0,
    stepStartedAt: null,
    switchedAt: null,
    promoted: false,
    rollback: null,
    actedAt: null,
    lastSignalSeq: 0,
  };
}

/**
 * One reconciliation: from the recorded state, what the worker observed and the time, the
 * next state and the actions that move the target toward it.
 *
 * The worker, on each pass: observe; reconcile; in one transaction record `state` and
 * `status` and carry out the bookkeeping actions (rollback, markSucceeded, markFailed only
 * touch the database); then carry out the target actions in order. It observes again when a
 * `scheduleWake` falls due, on a signal, and at least every health-check interval. `now` and
 * `observedAt` come from one clock (the database's), so workers on other machines agree.
 *
 * Target actions are derived from the state and the observation, never from what was asked
 * before, so when a worker dies before carrying them all out the next pass asks again for
 * exactly what is missing. An observation taken no later than the last actions (`actedAt`)
 * cannot show their effect, so it changes nothing: replaying a result adds no actions.
 */
export function reconcile(state: DeploymentState, observation: Observation, now: number): ReconcileResult {
  if (TERMINAL_PHASES.includes(state.phase)) return result(state, step(state, terminalMessage(state)));
  if (state.actedAt !== null && observation.observedAt <= state.actedAt) {
    return result(state, step(state, "Waiting for the target to show the last changes"));
  }

  let current = applySignals(state.phase === "pending" ? { ...state, phase: "progressing" } : state, observation.signals);
  if (current.phase !== "rolling_back") {
    const failure = newVersionFailure(current, observation);
    if (failure !== null) current = beginRollback(current, failure, false);
  }

  let outcome: StepResult;
  if (current.phase === "rolling_back") outcome = reconcileRollback(current, observation);
  else if (current.pause !== null && current.pause.kind !== "step") outcome = step(current, pauseMessage(current));
  else {
    const strategy = runStrategy(current, observation, now);
    outcome =
      "failure" in strategy ? { ...reconcileRollback(beginRollback(current, strategy.failure, false), observation), analysis: strategy.analysis } : strategy;
  }

  // Announced on the transition only, so it is said once however often this runs.
  const rollback = outcome.state.rollback;
  const actions: Action[] =
    rollback !== null && state.rollback === null ? [{ type: "rollback", reason: rollback.reason }, ...outcome.actions] : outcome.actions;
  const next = actions.length > 0 ? { ...outcome.state, actedAt: now } : outcome.state;
  return result(next, { ...outcome, state: next, actions });
}

function runStrategy(state: DeploymentState, observation: Observation, now: number): StrategyResult {
  const spec = state.spec;
  switch (spec.strategy) {
    case "rolling":
      return reconcileRolling(state, spec, observation);
    case "blue-green":
      return reconcileBlueGreen(state, spec, observation, now);
    case "canary":
      return reconcileCanary(state, spec, observation, now);
  }
}

/** Signals newer than the last handled one, in order; those that no longer apply are dropped. */
function applySignals(state: DeploymentState, signals: ManualSignal[]): DeploymentState {
  const fresh = signals.filter((signal) => signal.seq > state.lastSignalSeq).sort((a, b) => a.seq - b.seq);
  return fresh.reduce((current, signal) => ({ ...applySignal(current, signal), lastSignalSeq: signal.seq }), state);
}

function applySignal(state: DeploymentState, signal: ManualSignal): DeploymentState {
  if (state.phase !== "progressing" && state.phase !== "paused") return state;
  switch (signal.type) {
    case "abort":
      return beginRollback(state, `Aborted by ${signal.by}`, true);
    case "pause":
      return { ...state, phase: "paused", pause: { kind: "person", by: signal.by } };
    case "resume":
      // Resuming at the promotion gate is the promotion; resuming a pause step ends the step.
      if (state.phase !== "paused") return state;
      return { ...state, phase: "progressing", pause: null, promoted: state.promoted || state.pause?.kind === "promotion" };
    case "promoteNow":
      return { ...state, phase: "progressing", pause: null, promoted: true };
  }
}

function beginRollback(state: DeploymentState, reason: string, byPerson: boolean): DeploymentState {
  return { ...state, phase: "rolling_back", pause: null, rollback: { reason, byPerson } };
}

/** The first unhealthy instance of the new version, as a reason to roll back. */
function newVersionFailure(state: DeploymentState, observation: Observation): string | null {
  const check = state.spec.healthCheck;
  const broken = instancesOf(observation, state.newVersion).find((instance) => instanceHealth(instance, check) === "unhealthy");
  return broken === undefined ? null : describeUnhealthy(broken, check);
}

/**
 * The rollback path of every strategy, in order: stable back to full size, all traffic to
 * stable once it can carry it, then the new version's instances stopped. Each step returns
 * early until the observation shows it done, so traffic has left before anything stops.
 */
function reconcileRollback(state: DeploymentState, observation: Observation): StepResult {
  const stable = state.stableVersion;
  const { spec } = state;
  const starts: Action[] = [];
  if (stable !== null) {
    const stables = instancesOf(observation, stable);
    starts.push(...startInstances(stable, spec.replicas - stables.length));
    const ready = stables.filter((instance) => isReady(instance, spec.healthCheck)).length;
    if (observation.traffic[stable] !== 100) {
      const needed = readyBeforeSwitchBack(spec);
      if (ready < needed) return step(state, `Rolling back: waiting for ${stable} (${ready} of ${needed} instances ready)`, starts);
      return step(state, `Rolling back: moving all traffic to ${stable}`, [...starts, { type: "switchTraffic", to: stable }]);
    }
  }
  const fresh = instancesOf(observation, state.newVersion);
  if (fresh.length > 0 || starts.length > 0) {
    return step(state, `Rolling back: stopping ${state.newVersion}`, [...starts, ...stopInstances(fresh)]);
  }
  const reason = state.rollback?.reason ?? "Rolled back";
  const phase = state.rollback?.byPerson ? "aborted" : stable === null ? "failed" : "rolled_back";
  const done: DeploymentState = { ...state, phase };
  return step(done, terminalMessage(done), [{ type: "markFailed", reason }]);
}

/**
 * Ready stable instances needed before it takes all traffic back. A rolling update may have
 * stopped most of them, so it waits for its own availability floor; the other strategies
 * keep stable at full size and switch at once.
 */
function readyBeforeSwitchBack(spec: DeploymentSpec): number {
  if (spec.strategy !== "rolling") return 1;
  return Math.max(1, minReady(spec.replicas, resolveRollingLimits(spec.replicas, spec.maxSurge, spec.maxUnavailable)));
}

function pauseMessage(state: DeploymentState): string {
  if (state.pause?.kind === "person") return `Paused by ${state.pause.by}`;
  return `${state.newVersion} passed its checks; waiting for a person to promote it`;
}

function terminalMessage(state: DeploymentState): string {
  const reason = state.rollback?.reason ?? "";
  switch (state.phase) {
    case "succeeded":
      return `${state.newVersion} is live`;
    case "aborted":
      return state.stableVersion === null ? reason : `${reason}; ${state.stableVersion} serves again`;
    case "rolled_back":
      return `Rolled back to ${state.stableVersion}: ${reason}`;
    default:
      return `Failed: ${reason}`;
  }
}

function result(state: DeploymentState, outcome: StepResult): ReconcileResult {
  const steps = state.spec.strategy === "canary" ? state.spec.steps.length : null;
  return {
    state,
    actions: outcome.actions,
    status: {
      phase: state.phase,
      message: outcome.message,
      step: steps === null ? null : { index: Math.min(state.stepIndex, steps), total: steps },
      reason: state.rollback?.reason ?? null,
    } satisfies DeploymentStatus,
    ...(outcome.analysis ? { analysis: outcome.analysis } : {}),
  };
}
