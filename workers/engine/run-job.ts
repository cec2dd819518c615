import { mkdir, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import type Dockerode from "dockerode";
import type { Database } from "@/db/client";
import type { JobRow, Run } from "@/db/schema";
import { evaluateCondition, ExpressionError, ExpressionSyntaxError, type ExpressionContext, type Job, type Step } from "@/server/pipeline";
import type { StoredPlan } from "@/server/services/run-plan";
import { runContext } from "@/server/services/run-plan";
import type { JobResult } from "@/server/services/job-lifecycle";
import { DEFAULT_TIMEOUT_MINUTES } from "@/server/services/runs";
import { LineSplitter } from "../logs/line-splitter";
import { LogWriter } from "../logs/log-writer";
import { runDeployJob } from "../deployer/run-deploy-job";
import type { Executor, ExecutorSession } from "../executors/types";
import type { Builtins, PostStep } from "./builtins-api";
import { envWithValues, scriptWithEnv } from "./script-env";

export type JobEnvironment = {
  db: Database;
  dataDir: string;
  workerId: string;
  builtins: Builtins;
  /** Deploy jobs pin their image's digest with it when present. */
  dockerEngine?: Dockerode | null;
  /** Picks the executor for a job (docker when it names an image and an engine is reachable, else local). */
  executorFor: (job: Job) => { executor: Executor; note?: string };
  /** The job's secrets (empty for runs that may not see them) and the values to mask in its log. */
  secretsFor: (run: Run, job: JobRow) => Promise<{ values: Record<string, string>; mask: (line: string) => string }>;
  project: (run: Run) => Promise<ProjectSettings>;
};

type ProjectSettings = { repositoryUrl: string; checkoutSecret: string | null };

/** What the claim already read for the job; anything missing is read here. */
export type Prefetched = { needs?: Array<{ jobId: string; status: string; outputs: Record<string, string> }> };

/** Runs one claimed job to its result: steps in order in a fresh workspace, logs streamed as they come. */
export async function runJob(env: JobEnvironment, run: Run, job: JobRow, signal: AbortSignal, prefetched: Prefetched = {}): Promise<JobResult> {
  const plan = run.plan as StoredPlan;
  const spec = plan.pipeline.jobs[job.jobId];
  const { values: secrets, mask } = await env.secretsFor(run, job);
  const writer = new LogWriter(env.db, job.id, job.logLines);
  const log = (line: string) => writer.write(mask(line));
  if (job.attempt > 1) log(`── Attempt ${job.attempt} ──`);
  if (spec.deploy) {
    // A deploy job runs no steps: it makes the release and follows its deployment to the end.
    try {
      return await runDeployJob({ db: env.db, dataDir: env.dataDir, run, job, spec, log, signal, docker: env.dockerEngine });
    } finally {
      await writer.flush().catch(() => undefined);
    }
  }

  const timeoutMinutes = spec.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES;
  const timeout = AbortSignal.timeout(timeoutMinutes * 60_000);
  const jobSignal = AbortSignal.any([signal, timeout]);
  const workspace = path.join(env.dataDir, "work", `${job.id}-${job.attempt}`);
  const { executor, note } = env.executorFor(spec);
  if (note) log(note);
  const executorJob = { jobId: job.id, runId: run.id, workerId: env.workerId, image: spec.image, workspace, network: true };
  // The workspace and the container (or Pod) are made when the first step runs: a job whose steps are all skipped needs neither.
  let session: Promise<ExecutorSession> | null = null;
  const openSession = () =>
    (session ??= makeWorkspace(workspace).then(() => executor.prepare(executorJob)));
  const posts: PostStep[] = [];
  try {
    // Only built-in steps (checkout) use the project's settings: read them the first time one runs.
    let project: Promise<ProjectSettings> | null = null;
    const projectSettings = () => (project ??= env.project(run));
    const needs =
      prefetched.needs ??
      (job.needs.length ? await env.db.query.jobs.findMany({ where: (j, { and, eq, inArray }) => and(eq(j.runId, run.id), inArray(j.key, job.needs)) }) : []);
    const expressions: ExpressionContext = {
      run: runContext(run),
      inputs: run.inputs,
      secrets,
      matrix: (job.matrix as Record<string, unknown> | null) ?? {},
      needs: Object.fromEntries(needs.map((n) => [n.jobId, { result: n.status === "succeeded" ? "success" : n.status, outputs: n.outputs }])),
      job: { id: job.jobId, key: job.key, attempt: job.attempt },
    };
    const baseEnv = {
      ...slipwayEnv(run, job, executor.workspaceInside(executorJob)),
      ...envWithValues(plan.pipeline.env, expressions),
      ...envWithValues(spec.env, { ...expressions, env: plan.pipeline.env }),
      ...secrets,
    };
    expressions.env = baseEnv;
    let failed: string | null = null;
    for (const [index, step] of spec.steps.entries()) {
      if (jobSignal.aborted) break;
      const status = { failed: failed !== null, cancelled: signal.aborted };
      if (!shouldRun(step, { ...expressions, status }, log)) continue;
      log(`##[step ${index + 1}] ${step.name}`);
      const outcome = await runStep(step, { env, session: await openSession(), run, job, project: projectSettings, workspace, secrets, expressions, baseEnv, log, signal: jobSignal, posts });
      if (outcome !== null && !step.continueOnError) failed ??= `Step "${step.name}" ${outcome}`;
      else if (outcome !== null) log(`Step "${step.name}" ${outcome}; continuing (continue-on-error).`);
    }
    for (const post of posts) {
      if (jobSignal.aborted) break;
      log(`##[post] ${post.name}`);
      await post.run().catch((error: Error) => log(`${post.name} failed: ${error.message}`));
    }
    if (signal.aborted) return { status: "cancelled", reason: "Cancelled while running." };
    if (timeout.aborted) return { status: "failed", reason: `Timed out after ${timeoutMinutes} minutes.` };
    return failed ? { status: "failed", reason: failed } : { status: "succeeded" };
  } catch (error) {
    log(`Slipway could not run this job: ${(error as Error).message}`);
    if (signal.aborted) return { status: "cancelled", reason: "Cancelled while running." };
    return { status: "failed", reason: (error as Error).message };
  } finally {
    if (session) {
      await (session as Promise<ExecutorSession>).then((opened) => opened.close()).catch(() => undefined);
      await removeWorkspace(workspace);
    }
    await writer.flush().catch(() => undefined);
  }
}

/** One mkdir for a job's workspace once `work/` exists (each file system call is a trip through libuv's pool). */
async function makeWorkspace(workspace: string) {
  await mkdir(workspace).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code === "EEXIST") return;
    if (error.code !== "ENOENT") throw error;
    await mkdir(workspace, { recursive: true });
  });
}

/** A job that left nothing behind takes one rmdir; a recursive removal only when something is there. */
async function removeWorkspace(workspace: string) {
  await rmdir(workspace).catch(() => rm(workspace, { recursive: true, force: true }).catch(() => undefined));
}

function shouldRun(step: Step, context: ExpressionContext, log: (line: string) => void): boolean {
  try {
    if (evaluateCondition(step.if, context)) return true;
    if (step.if) log(`Skipped "${step.name}": if: ${step.if} is false.`);
  } catch (error) {
    if (!(error instanceof ExpressionError || error instanceof ExpressionSyntaxError)) throw error;
    log(`Skipped "${step.name}": its if: could not be evaluated: ${error.message}`);
  }
  return false;
}

type StepRun = {
  env: JobEnvironment;
  session: ExecutorSession;
  run: Run;
  job: JobRow;
  project: () => Promise<ProjectSettings>;
  workspace: string;
  secrets: Record<string, string>;
  expressions: ExpressionContext;
  baseEnv: Record<string, string>;
  log: (line: string) => void;
  signal: AbortSignal;
  posts: PostStep[];
};

/** Runs one step; returns null on success, else what went wrong ("exited with code 2"). */
async function runStep(step: Step, s: StepRun): Promise<string | null> {
  const signal = step.timeoutMinutes ? AbortSignal.any([s.signal, AbortSignal.timeout(step.timeoutMinutes * 60_000)]) : s.signal;
  try {
    if (step.kind === "uses") {
      const project = await s.project();
      const post = await s.env.builtins.run(step, {
        db: s.env.db,
        dataDir: s.env.dataDir,
        run: s.run,
        job: s.job,
        repositoryUrl: project.repositoryUrl,
        checkoutSecret: project.checkoutSecret,
        workspace: s.workspace,
        secrets: s.secrets,
        expressions: s.expressions,
        log: s.log,
        signal,
      });
      if (post) s.posts.push(post);
      return null;
    }
    const { script, env } = scriptWithEnv(step.run, s.expressions);
    const splitter = new LineSplitter(s.log);
    const { exitCode } = await s.session.runStep(
      { script, shell: step.shell === "bash" ? "bash" : "sh", env: { ...s.baseEnv, ...envWithValues(step.env, s.expressions), ...env }, workingDirectory: step.workingDirectory },
      { onOutput: (chunk) => splitter.write(chunk), signal },
    );
    splitter.end();
    if (signal.aborted && !s.signal.aborted) return `timed out after ${step.timeoutMinutes} minutes`;
    return exitCode === 0 ? null : `exited with code ${exitCode}`;
  } catch (error) {
    s.log(`Error: ${(error as Error).message}`);
    return `failed: ${(error as Error).message}`;
  }
}

function slipwayEnv(run: Run, job: JobRow, workspace: string): Record<string, string> {
  return {
    CI: "true",
    SLIPWAY: "true",
    SLIPWAY_RUN_ID: run.id,
    SLIPWAY_RUN_NUMBER: String(run.number),
    SLIPWAY_JOB: job.key,
    SLIPWAY_JOB_ATTEMPT: String(job.attempt),
    SLIPWAY_EVENT: run.trigger,
    SLIPWAY_SHA: run.commitSha,
    SLIPWAY_BRANCH: run.branch ?? "",
    SLIPWAY_TAG: run.tag ?? "",
    SLIPWAY_WORKSPACE: workspace,
  };
}
