import { eq } from "drizzle-orm";
import type Dockerode from "dockerode";
import type postgres from "postgres";
import type { Database } from "@/db/client";
import { projectPipelineSettings, projects } from "@/db/schema";
import type { Job } from "@/server/pipeline";
import { deriveKey } from "@/server/config/secret-key";
import { claimQueuedJobs, finishJob, finishJobs, handBackJob, recoverLostJobs, type Settling } from "@/server/services/job-lifecycle";
import type { StoredPlan } from "@/server/services/run-plan";
import { loadSecretsForJob } from "@/server/services/secrets";
import { createMasker } from "../logs/mask";
import type { Executor } from "../executors/types";
import { Batcher } from "../batcher";
import { builtins } from "./builtins";
import { Dispatcher } from "./dispatcher";
import { runJob, type JobEnvironment } from "./run-job";
import { WorkerStopping } from "./stopping";

export type EngineOptions = {
  db: Database;
  listen: postgres.Sql;
  dataDir: string;
  workerId: string;
  labels: string[];
  concurrency: number;
  masterKey: Buffer;
  local: Executor;
  /** Present when a Docker engine answered at start. */
  docker: Executor | null;
  /** The same engine, for deploy jobs (they pin the release's image digest with it). */
  dockerEngine?: Dockerode | null;
  /** A running job whose worker has not beaten for this long is recovered. */
  lostAfterMs: number;
};

/** The job engine of one worker process: dispatcher, job runner and lost-job recovery. */
export async function startEngine(options: EngineOptions): Promise<{ stop: (graceMs: number) => Promise<void> }> {
  const { db } = options;
  const secretsKey = deriveKey(options.masterKey, "secrets");
  const env: JobEnvironment = {
    db,
    dataDir: options.dataDir,
    workerId: options.workerId,
    builtins,
    dockerEngine: options.dockerEngine ?? null,
    executorFor: (job: Job) => pickExecutor(job, options),
    async secretsFor(run, job) {
      const values = await loadSecretsForJob(db, secretsKey, { userId: null, label: `job ${job.key} of run #${run.number}`, ip: null, via: "worker" }, {
        projectId: run.projectId,
        runId: run.id,
        jobId: job.id,
      });
      const masker = createMasker(Object.values(values));
      return { values, mask: (line) => masker.mask(line) };
    },
    async project(run) {
      const [row] = await db
        .select({ repositoryUrl: projects.repositoryUrl, checkoutSecret: projectPipelineSettings.checkoutSecret })
        .from(projects)
        .leftJoin(projectPipelineSettings, eq(projectPipelineSettings.projectId, projects.id))
        .where(eq(projects.id, run.projectId));
      return { repositoryUrl: row.repositoryUrl, checkoutSecret: row.checkoutSecret ?? null };
    },
  };

  // Steps and containers left by a worker of this machine that was killed go before new work arrives.
  for (const executor of [options.local, options.docker]) {
    const reaped = await executor?.reapOrphans().catch(() => 0);
    if (reaped) console.log(`removed ${reaped} leftover ${executor!.name} job process(es) or container(s) of a stopped worker`);
  }

  // A run's plan never changes: the jobs of a run that land on this worker share one parsed copy.
  const plans = new PlanCache();
  // pickExecutor looks at whether the job names an image; the claim applies the same choice in SQL.
  const executor = { image: pickExecutor({ image: "any" } as Job, options).executor.name, plain: pickExecutor({} as Job, options).executor.name };
  const claimant = { workerId: options.workerId, labels: options.labels, executor };
  const onError = (error: Error) => console.error(`engine: ${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}`);
  // Jobs that finish together are settled in one transaction.
  const settles = new Batcher(
    (batch: Settling[]) => finishJobs(db, batch),
    ({ jobId, attempt, result, plan }: Settling) => finishJob(db, { jobId, attempt }, result, { plan }),
  );
  const dispatcher = new Dispatcher({
    listen: options.listen,
    labels: options.labels,
    concurrency: options.concurrency,
    claim: (limit) => claimQueuedJobs(db, claimant, limit),
    onError,
    async handle(claimed, signal) {
      const { job, run } = claimed;
      const plan = plans.get(run.id) ?? plans.remember(run.id, run.plan as StoredPlan);
      // Reading secrets is a transaction of its own; a project without any skips it (the result would be empty).
      const jobEnv: JobEnvironment = claimed.hasSecrets ? env : { ...env, secretsFor: async () => ({ values: {}, mask: (line) => line }) };
      const attempt = { jobId: job.id, attempt: job.attempt };
      let result;
      try {
        result = await runJob(jobEnv, run, job, signal, { needs: claimed.needs });
      } catch (error) {
        if (!(error instanceof WorkerStopping)) throw error;
        await handBackJob(db, attempt, "The worker stopped while the job followed its deployment; the next worker to take it follows the same deployment.");
        return;
      }
      // A failure with attempts left is decided on its own (retry or not); everything else can share a batch.
      if (result.status === "failed" && job.attempt < job.maxAttempts) await finishJob(db, attempt, result, { plan });
      else {
        // The slot is free once the job has run: its result is settled in the next batch while another job starts,
        // unless results already wait for a whole worker's worth of slots (the database is behind: wait with it).
        const settled = settles.add({ ...attempt, result, plan }).catch(onError);
        if (settles.waiting > options.concurrency) await settled;
      }
    },
  });
  await dispatcher.start();
  const recovery = setInterval(() => {
    recoverLostJobs(db, { staleAfterMs: options.lostAfterMs }).catch((error: Error) => console.error(`lost-job recovery: ${error.message}`));
  }, Math.min(10_000, options.lostAfterMs / 2));

  return {
    async stop(graceMs: number) {
      clearInterval(recovery);
      const abort = setTimeout(() => dispatcher.abortAll(), graceMs);
      await dispatcher.stop();
      clearTimeout(abort);
      await settles.idle();
    },
  };
}

/** Parsed plans of recent runs by run id, bounded: finishing a job then needs no plan from the database. */
class PlanCache {
  private plans = new Map<string, StoredPlan>();

  get(runId: string): StoredPlan | undefined {
    return this.plans.get(runId);
  }

  remember(runId: string, plan: StoredPlan): StoredPlan {
    if (this.plans.size >= 500) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(runId, plan);
    return plan;
  }
}

function pickExecutor(job: Job, options: Pick<EngineOptions, "docker" | "local">): { executor: Executor; note?: string } {
  if (job.image && options.docker) return { executor: options.docker };
  if (job.image) {
    return { executor: options.local, note: `No Docker engine is reachable: running on the local executor without the isolation of image "${job.image}".` };
  }
  return { executor: options.local };
}
