import { and, asc, eq, gt, inArray, notInArray } from "drizzle-orm";
import type Dockerode from "dockerode";
import type { Database } from "@/db/client";
import { deploymentEvents, deployments, environments, jobs, type JobRow, type Run } from "@/db/schema";
import { TERMINAL_PHASES, type Phase } from "@/server/deploy";
import { interpolate, type ExpressionContext, type Job } from "@/server/pipeline";
import type { Actor } from "@/server/services/actor";
import { requestDeployment, signalDeployment } from "@/server/services/deployments";
import { ConflictError, DomainError } from "@/server/services/errors";
import type { JobResult } from "@/server/services/job-lifecycle";
import { createReleaseFromRun } from "@/server/services/releases";
import { runContext } from "@/server/services/run-plan";
import { WorkerStopping } from "@/workers/engine/stopping";
import { pipelineOverrides } from "./pipeline-spec";

export type DeployJobInput = {
  db: Database;
  dataDir: string;
  run: Run;
  job: JobRow;
  /** The pipeline job: it has `environment:` and `deploy:`. */
  spec: Job;
  log: (line: string) => void;
  /** Aborts when the run is cancelled or the job times out: the deployment is aborted, back to stable. */
  signal: AbortSignal;
  /** Pins `deploy.image` to the digest the engine has; without it the release keeps the reference as written. */
  docker?: Dockerode | null;
  /** How often to look at the deployment while waiting (tests shorten it). */
  pollMs?: number;
};

/**
 * The job engine's side of a pipeline job with `environment:` and `deploy:`. The lead calls it
 * at the top of workers/engine/run-job.ts `runJob`, right after the log writer is made:
 *
 *   if (spec.deploy) {
 *     try { return await runDeployJob({ db: env.db, dataDir: env.dataDir, run, job, spec, log, signal }); }
 *     finally { await writer.flush().catch(() => undefined); }
 *   }
 *
 * It makes the run's release (reused when the job is retried), asks for the deployment (it
 * waits in line if the environment is busy) and follows it to its end, writing each step to
 * the job's log. The job succeeds when the release is live, and fails with the reason when
 * it was rolled back or failed.
 */
export async function runDeployJob(input: DeployJobInput): Promise<JobResult> {
  const { db, run, job, spec, log } = input;
  const deploy = spec.deploy!;
  const actor: Actor = { userId: run.triggeredBy, label: `run #${run.number} (${job.key})`, ip: null, via: "worker" };
  try {
    const context = await expressionContext(db, run, job);
    const environmentName = interpolate(spec.environment?.name ?? "", context);
    const [env] = await db.select().from(environments).where(and(eq(environments.projectId, run.projectId), eq(environments.name, environmentName)));
    if (!env) return { status: "failed", reason: `This project has no environment named "${environmentName}".` };
    const image = deploy.image ? interpolate(deploy.image, context) : null;
    const imageDigest = image && input.docker ? await pinnedDigest(input.docker, image, log) : null;
    const release = await createReleaseFromRun(db, actor, {
      runId: run.id,
      image,
      imageDigest,
      artifact: deploy.artifact ? interpolate(deploy.artifact, context) : null,
      version: versionFromNeeds(context),
      dataDir: input.dataDir,
    });
    log(`Release ${release.version} (#${release.number}) of commit ${release.commitSha.slice(0, 7)}: ${release.imageDigest ?? release.image ?? `artifact ${release.artifactName}`}`);
    // An earlier attempt of this job (its worker stopped) asked for the deployment already: follow that one.
    const [earlier] = await db
      .select()
      .from(deployments)
      .where(and(eq(deployments.jobId, job.id), notInArray(deployments.phase, [...TERMINAL_PHASES])));
    if (earlier) log(`Following deployment ${earlier.id}, asked for by an earlier attempt of this job.`);
    const deployment = earlier ? { ...earlier, position: null } : await requestDeployment(db, actor, {
      projectId: run.projectId,
      environmentId: env.id,
      releaseId: release.id,
      overrides: pipelineOverrides(deploy),
      runId: run.id,
      jobId: job.id,
    }).catch((error: unknown) => {
      if (error instanceof ConflictError && /already live/.test(error.message)) return null;
      throw error;
    });
    if (!deployment) {
      log(`${release.version} is already live in ${env.name}; nothing to deploy.`);
      return { status: "succeeded", outputs: { release: release.id, version: release.version } };
    }
    const strategy = (deployment.spec as { strategy: string }).strategy;
    log(`Deploying ${release.version} to ${env.name} (${strategy})${deployment.position ? `; waiting in line, position ${deployment.position}` : ""}`);
    const outcome = await follow(input, deployment.id, actor);
    // The worker stops: the deployment carries on, and so does this job, on the next worker.
    if (input.signal.reason instanceof WorkerStopping) throw input.signal.reason;
    const outputs = { release: release.id, version: release.version, deployment: deployment.id };
    if (outcome.phase === "succeeded") return { status: "succeeded", outputs };
    if (input.signal.aborted) return { status: "cancelled", reason: "Cancelled while deploying; the deployment was aborted.", outputs };
    return { status: "failed", reason: `Deployment ${outcome.phase.replace("_", " ")}: ${outcome.reason ?? outcome.message}`, outputs };
  } catch (error) {
    if (error instanceof WorkerStopping) throw error;
    const message = (error as Error).message;
    log(`Could not deploy: ${message}`);
    return { status: "failed", reason: error instanceof DomainError ? message : `Could not deploy: ${message}` };
  }
}

/** Writes the deployment's history to the log as it happens, until it ends; aborts it when the job is cancelled. */
async function follow(input: DeployJobInput, deploymentId: string, actor: Actor) {
  const { db, log, signal } = input;
  let seen = 0;
  let aborted = false;
  for (;;) {
    const events = await db.select().from(deploymentEvents).where(and(eq(deploymentEvents.deploymentId, deploymentId), gt(deploymentEvents.id, seen))).orderBy(asc(deploymentEvents.id));
    for (const event of events) {
      log(`[${event.at.toISOString().slice(11, 19)}] ${event.kind === "status" ? "" : `${event.kind}: `}${event.message}`);
      seen = event.id;
    }
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    if (TERMINAL_PHASES.includes(row.phase as Phase)) {
      log(`Deployment ${row.phase.replace("_", " ")}: ${row.message}`);
      return row;
    }
    if (signal.reason instanceof WorkerStopping) {
      log("This worker is stopping; the deployment carries on and the job is handed to the next worker.");
      return row;
    }
    if (signal.aborted && !aborted) {
      aborted = true;
      log("The job was cancelled: aborting the deployment, back to the stable release.");
      await signalDeployment(db, actor, { projectId: row.projectId, deploymentId, type: "abort" }).catch((error: Error) => log(`Could not abort: ${error.message}`));
    }
    await new Promise((resolve) => setTimeout(resolve, input.pollMs ?? 500));
  }
}

async function expressionContext(db: Database, run: Run, job: JobRow): Promise<ExpressionContext> {
  const needs = job.needs.length ? await db.select().from(jobs).where(and(eq(jobs.runId, run.id), inArray(jobs.key, job.needs))) : [];
  return {
    run: runContext(run),
    inputs: run.inputs,
    env: {},
    needs: Object.fromEntries(needs.map((n) => [n.jobId, { result: n.status === "succeeded" ? "success" : n.status, outputs: n.outputs }])),
  };
}

/** A `version` output of a job this one needs names the release (e.g. from package.json); else the run number does. */
function versionFromNeeds(context: ExpressionContext): string | undefined {
  const needs = (context.needs ?? {}) as Record<string, { outputs: Record<string, string> }>;
  return Object.values(needs).find((n) => n.outputs.version)?.outputs.version;
}

/** The image by digest (registry digest, else the engine's image id), so the release cannot change under the same tag. */
async function pinnedDigest(docker: Dockerode, image: string, log: (line: string) => void): Promise<string | null> {
  try {
    const info = await docker.getImage(image).inspect();
    return info.RepoDigests?.[0] ?? info.Id;
  } catch {
    log(`The image ${image} is not on this worker's engine; the release records it by reference, unpinned.`);
    return null;
  }
}
