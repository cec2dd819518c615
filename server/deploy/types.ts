import type { DeploymentSpec, PreviewCheck } from "./spec";

/** Share of traffic per version in whole percent. Shares add up to 100, or the map is empty (nothing served). */
export type TrafficWeights = Record<string, number>;

/** `stopping`: draining or being removed; it no longer counts as capacity. */
export type InstanceStatus = "running" | "stopping" | "exited";

/** Consecutive probe results of one instance; `ready` is sticky between the thresholds, as in Kubernetes. */
export interface HealthTally {
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  ready: boolean;
}

export interface ObservedInstance {
  id: string;
  version: string;
  status: InstanceStatus;
  health: HealthTally;
}

/** Router measurements of one version over the last `windowSeconds`. */
export interface VersionMetrics {
  version: string;
  windowSeconds: number;
  requests: number;
  /** Responses with a 5xx status. */
  errors: number;
  /** null when there were no requests. */
  p99Ms: number | null;
}

export type SignalType = "resume" | "promoteNow" | "abort" | "pause";

/** A person's instruction. `seq` grows with every signal of a deployment, so each is acted on once. */
export interface ManualSignal {
  seq: number;
  type: SignalType;
  by: string;
}

export type SmokeTestResult = { status: "running" } | { status: "passed" } | { status: "failed"; detail: string };

/** What the worker saw on the target, all taken at `observedAt` (ms since the epoch). */
export interface Observation {
  observedAt: number;
  instances: ObservedInstance[];
  /** The split the router or target reports, not the one last asked for. */
  traffic: TrafficWeights;
  /** One entry per version and analysis window the spec uses (see `analysisWindows`). */
  metrics: VersionMetrics[];
  /** Every signal of this deployment so far; already handled ones are skipped by `seq`. */
  signals: ManualSignal[];
  /** The run of the preview checks and smoke-test job for this deployment, once asked for. */
  smokeTest: SmokeTestResult | null;
}

export type Phase =
  | "pending"
  | "progressing"
  | "paused"
  | "succeeded"
  | "rolling_back"
  /** Failed, and the stable release serves again. */
  | "rolled_back"
  /** A person aborted it; the stable release serves again. */
  | "aborted"
  /** Failed with no earlier release to return to; its instances were stopped. */
  | "failed";

export const TERMINAL_PHASES: readonly Phase[] = ["succeeded", "rolled_back", "aborted", "failed"];

export type Pause =
  | { kind: "person"; by: string }
  /** A canary pause step; `until` null waits for a person to resume. */
  | { kind: "step"; until: number | null }
  /** Blue-green without autoPromote: green passed its checks and waits for a person. */
  | { kind: "promotion" };

export interface DeploymentState {
  spec: DeploymentSpec;
  /** Version serving before this deployment; null for the first deployment of an environment. */
  stableVersion: string | null;
  newVersion: string;
  phase: Phase;
  /** Set exactly when `phase` is "paused". */
  pause: Pause | null;
  /** Canary: index of the current step; `steps.length` is the final promotion. */
  stepIndex: number;
  /** Canary: when the current pause or analysis step began. */
  stepStartedAt: number | null;
  /** Blue-green: when all traffic was seen on green; blue stays warm from then. */
  switchedAt: number | null;
  /** A person asked to skip what is left (canary steps; blue-green smoke test and gate). Rolling has nothing to skip. */
  promoted: boolean;
  rollback: { reason: string; byPerson: boolean } | null;
  /** `now` of the last reconcile that returned actions: older observations cannot show their effect. */
  actedAt: number | null;
  lastSignalSeq: number;
}

/** Data for the worker to carry out against a Target, in order. */
export type Action =
  | { type: "startInstances"; version: string; count: number }
  | { type: "stopInstances"; version: string; instanceIds: string[]; drain: true }
  | { type: "setTraffic"; weights: TrafficWeights }
  /** All traffic to one version at once. */
  | { type: "switchTraffic"; to: string }
  /** Observe and reconcile again at `at`, even if nothing else happens. */
  | { type: "scheduleWake"; at: number }
  /** Run the preview checks and the smoke-test job against `version`; report it as `Observation.smokeTest`. */
  | { type: "runSmokeTest"; version: string; checks: PreviewCheck[]; job: string | null }
  | { type: "markSucceeded" }
  | { type: "markFailed"; reason: string }
  /** A rollback began: record it and tell people. The actions after it do the work. */
  | { type: "rollback"; reason: string };

export interface DeploymentStatus {
  phase: Phase;
  /** One sentence for people: what is happening or what it waits for. */
  message: string;
  /** Canary only: the step being carried out (0-based) of how many; `index === total` while promoting. */
  step: { index: number; total: number } | null;
  reason: string | null;
}

/** A canary analysis the reconcile judged, for the deployment's history. */
export interface AnalysisJudgement {
  /** The index of the analysis step. */
  step: number;
  verdict: "pass" | "fail" | "inconclusive";
  reason: string;
  canary: VersionMetrics | undefined;
  stable: VersionMetrics | undefined;
}

export interface ReconcileResult {
  state: DeploymentState;
  actions: Action[];
  status: DeploymentStatus;
  /** Set when this reconcile judged a canary analysis (it may be the step it entered). */
  analysis?: AnalysisJudgement;
}
