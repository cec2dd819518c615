import { eq } from "drizzle-orm";
import type PgBoss from "pg-boss";
import type postgres from "postgres";
import type { Database } from "@/db/client";
import { jobs, projectPipelineSettings, projects } from "@/db/schema";
import type { Job } from "@/server/pipeline";
import { deriveKey } from "@/server/config/secret-key";
import { claimJob, finishJob, recoverLostJobs } from "@/server/services/job-lifecycle";
import { loadSecretsForJob } from "@/server/services/secrets";
import { createMasker } from "../logs/mask";
import type { Executor } from "../executors/types";
import { builtins } from "./builtins";
import { Dispatcher } from "./dispatcher";
import { runJob, type JobEnvironment } from "./run-job";

export type EngineOptions = {
  db: Database;
  boss: PgBoss;
  listen: postgres.Sql;
  dataDir: string;
  workerId: string;
  labels: string[];
  concurrency: number;
  masterKey: Buffer;
  local: Executor;
  /** Present when a Docker engine answered at start. */
  docker: Executor | null;
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

  const dispatcher = new Dispatcher({
    boss: options.boss,
    listen: options.listen,
    labels: options.labels,
    concurrency: options.concurrency,
    onError: (error) => console.error(`engine: ${error.message}`),
    async handle(message, signal) {
      const claimed = await claimJob(db, { ...message, workerId: options.workerId });
      if (!claimed) return;
      const spec = (claimed.run.plan as { pipeline: { jobs: Record<string, Job> } }).pipeline.jobs[claimed.job.jobId];
      await db.update(jobs).set({ executor: pickExecutor(spec, options).executor.name }).where(eq(jobs.id, claimed.job.id));
      const result = await runJob(env, claimed.run, claimed.job, signal);
      await finishJob(db, message, result);
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
    },
  };
}

function pickExecutor(job: Job, options: Pick<EngineOptions, "docker" | "local">): { executor: Executor; note?: string } {
  if (job.image && options.docker) return { executor: options.docker };
  if (job.image) {
    return { executor: options.local, note: `No Docker engine is reachable: running on the local executor without the isolation of image "${job.image}".` };
  }
  return { executor: options.local };
}
