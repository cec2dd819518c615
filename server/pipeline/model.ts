import type { Position } from "./diagnostics";

/**
 * The validated pipeline. YAML keys are kebab-case (`timeout-minutes`); the model
 * uses camelCase. Values that may hold `${{ }}` expressions stay unevaluated
 * strings: they are evaluated when the run reaches them.
 */
export interface Pipeline {
  name?: string;
  on: Triggers;
  env: Record<string, string>;
  concurrency?: Concurrency;
  defaults?: Defaults;
  /** In file order (job ids cannot look like integers, so object order is file order). */
  jobs: Record<string, Job>;
  /** Source position of every node, keyed by JSON pointer ("/jobs/build/steps/0/run"). */
  locations: Record<string, Position>;
}

export interface Triggers {
  push?: PushTrigger;
  pullRequest?: PullRequestTrigger;
  manual?: ManualTrigger;
  schedule?: ScheduleTrigger[];
}

/** Glob filters; lists may contain `!negated` patterns, the last matching pattern wins. */
export interface PushTrigger {
  branches?: string[];
  branchesIgnore?: string[];
  tags?: string[];
  tagsIgnore?: string[];
  paths?: string[];
  pathsIgnore?: string[];
}

export interface PullRequestTrigger {
  /** Matched against the pull request's base (target) branch. */
  branches?: string[];
  branchesIgnore?: string[];
  paths?: string[];
  pathsIgnore?: string[];
}

export interface ManualTrigger {
  inputs: Record<string, InputDefinition>;
}

export type InputType = "string" | "boolean" | "choice" | "number";
export type InputValue = string | boolean | number;

export interface InputDefinition {
  type: InputType;
  description?: string;
  required: boolean;
  default?: InputValue;
  /** Only for `choice`. */
  options?: string[];
}

export interface ScheduleTrigger {
  cron: string;
  /** IANA time zone; UTC when absent. */
  timezone?: string;
}

export interface Concurrency {
  group: string;
  cancelInProgress: boolean;
}

export interface Defaults {
  run?: { shell?: string; workingDirectory?: string };
}

export interface Job {
  id: string;
  /** Display name; the id when the file gives none. */
  name: string;
  needs: string[];
  if?: string;
  image?: string;
  /** Worker pool labels; a worker must carry all of them. Empty means any worker. */
  runsOn: string[];
  env: Record<string, string>;
  timeoutMinutes?: number;
  continueOnError: boolean;
  retries: number;
  strategy?: Strategy;
  concurrency?: Concurrency;
  defaults?: Defaults;
  steps: Step[];
  environment?: Environment;
  deploy?: Deploy;
  outputs: Record<string, string>;
  /** Where the job's id is written. */
  source: Position;
}

export type MatrixValue = string | number | boolean | null | { [key: string]: unknown } | unknown[];
export type MatrixCombination = Record<string, MatrixValue>;

export interface Matrix {
  /** Axis name -> values, in file order. */
  axes: Record<string, MatrixValue[]>;
  include: MatrixCombination[];
  exclude: MatrixCombination[];
}

export interface Strategy {
  matrix?: Matrix;
  failFast: boolean;
  maxParallel?: number;
}

export interface Environment {
  name: string;
  url?: string;
}

export const BUILTINS = ["checkout", "cache", "upload-artifact", "download-artifact"] as const;
export type Builtin = (typeof BUILTINS)[number];

interface StepBase {
  id?: string;
  /** Display name; derived from `run` or `uses` when the file gives none. */
  name: string;
  if?: string;
  env: Record<string, string>;
  continueOnError: boolean;
  timeoutMinutes?: number;
  source: Position;
}

export interface RunStep extends StepBase {
  kind: "run";
  run: string;
  shell?: string;
  workingDirectory?: string;
}

export type UsesStep = StepBase & { kind: "uses" } & (
    | { uses: "checkout"; with: { fetchDepth?: number; path?: string } }
    | { uses: "cache"; with: { key: string; paths: string[]; restoreKeys: string[] } }
    | { uses: "upload-artifact"; with: { name: string; paths: string[]; retentionDays?: number } }
    | { uses: "download-artifact"; with: { name: string; path?: string } }
  );

export type Step = RunStep | UsesStep;

export const DEPLOY_STRATEGIES = ["rolling", "blue-green", "canary"] as const;
export type DeployStrategyName = (typeof DEPLOY_STRATEGIES)[number];

export interface HealthCheck {
  path: string;
  status: number;
  intervalSeconds: number;
  failureThreshold: number;
}

export interface Deploy {
  image?: string;
  /** Name of an artifact uploaded by a job this one needs. */
  artifact?: string;
  strategy: DeployStrategyName;
  /**
   * Strategy settings as written (kebab-case keys), e.g. canary `steps`. Owned by
   * the deploy engine; only their basic shape is checked here.
   */
  settings: Record<string, unknown>;
  healthCheck?: HealthCheck;
}
