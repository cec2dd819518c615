/**
 * An executor runs one job's steps in an isolated place: a fresh container
 * (docker), a Pod (kubernetes) or a temporary folder with child processes
 * (local).
 *
 * Lifecycle: `prepare(job)` creates the place and returns a session; the
 * engine calls `session.runStep` once per `run:` step, in order; built-in
 * steps (checkout, cache, artifacts) work on `job.workspace` on the worker's
 * disk, which the session shares with its steps. `session.close()` removes
 * everything it created; it is safe to call twice and after a failed prepare.
 * Aborting `signal` stops the running step within seconds (process group,
 * container or Pod killed) and makes `runStep` resolve with the exit code.
 */
export interface Executor {
  readonly name: "local" | "docker" | "kubernetes";
  /** Shown in the UI: the local executor's isolation is weaker than a container's. */
  readonly isolation: "process" | "container" | "pod";
  prepare(job: ExecutorJob): Promise<ExecutorSession>;
  /** The workspace as the job's steps will see it, known before `prepare` (the session's `workspaceInside`). */
  workspaceInside(job: ExecutorJob): string;
  /** Removes what crashed workers left behind (containers, Pods); returns how many. */
  reapOrphans(): Promise<number>;
}

export type ExecutorJob = {
  /** Slipway's job id: labels every container or Pod the job creates. */
  jobId: string;
  runId: string;
  workerId: string;
  /** Image for docker and kubernetes; ignored by local. */
  image?: string;
  /** Host folder holding the job's checkout; mounted into containers. */
  workspace: string;
  cpus?: number;
  memoryMb?: number;
  /** false: no network at all for the job's steps. */
  network: boolean;
};

export type StepCommand = {
  /** The script, run by `shell` with `-e`; outside values reach it only through `env`. */
  script: string;
  shell: "sh" | "bash";
  env: Record<string, string>;
  /** Relative to the workspace. */
  workingDirectory?: string;
};

export type StepIo = {
  onOutput: (chunk: Buffer) => void;
  signal: AbortSignal;
};

export interface ExecutorSession {
  /** The workspace as the steps see it (a host path for local, /workspace in containers). */
  readonly workspaceInside: string;
  runStep(command: StepCommand, io: StepIo): Promise<{ exitCode: number }>;
  close(): Promise<void>;
}
