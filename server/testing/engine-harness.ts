import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import type PgBoss from "pg-boss";
import type { Database } from "@/db/client";
import { jobLogChunks, jobs, runs, type Project, type Run, type User } from "@/db/schema";
import { startBoss } from "@/server/queue/boss";
import { createRun, type StartRunInput } from "@/server/services/runs";
import { createLocalExecutor } from "@/workers/executors/local";
import type { Executor } from "@/workers/executors/types";
import { startEngine } from "@/workers/engine/engine";
import { actorFor } from "./fixtures";

export type EngineHarness = {
  masterKey: Buffer;
  boss: PgBoss;
  stop: () => Promise<void>;
};

/** A real job engine (pg-boss, LISTEN/NOTIFY, local executor) against a test database, in this process. */
export async function startTestEngine(
  db: Database,
  url: string,
  dataDir: string,
  options: { workerId?: string; concurrency?: number; masterKey?: Buffer; docker?: Executor | null; lostAfterMs?: number } = {},
): Promise<EngineHarness> {
  const masterKey = options.masterKey ?? randomBytes(32);
  const boss = await startBoss(url);
  const listen = postgres(url, { max: 1, onnotice: () => undefined });
  const engine = await startEngine({
    db,
    listen,
    dataDir,
    workerId: options.workerId ?? `test-worker-${randomBytes(3).toString("hex")}`,
    labels: [],
    concurrency: options.concurrency ?? 4,
    masterKey,
    local: createLocalExecutor({ stateDir: dataDir }),
    docker: options.docker ?? null,
    lostAfterMs: options.lostAfterMs ?? 30_000,
  });
  return {
    masterKey,
    boss,
    async stop() {
      await engine.stop(2_000);
      await boss.stop({ graceful: false, wait: true });
      await listen.end();
    },
  };
}

export async function startPipeline(db: Database, owner: User, project: Project, sha: string, yaml: string, extra: Partial<StartRunInput> = {}): Promise<Run> {
  return createRun(db, actorFor(owner), {
    projectId: project.id,
    trigger: "manual",
    triggeredBy: owner.id,
    event: { sha, branch: "main", ref: "refs/heads/main", message: "test" },
    pipeline: { yaml },
    ...extra,
  });
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/** Waits for the run to finish (or a predicate on it to hold) without sleeping longer than needed. */
export async function waitForRun(db: Database, runId: string, until: (run: Run) => boolean = (r) => TERMINAL.has(r.status), timeoutMs = 30_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [run] = await db.select().from(runs).where(eq(runs.id, runId));
    if (until(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${run.number} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function jobsOf(db: Database, runId: string) {
  const rows = await db.select().from(jobs).where(eq(jobs.runId, runId));
  return Object.fromEntries(rows.map((r) => [r.key, r]));
}

/** A job's whole log as lines. */
export async function logOf(db: Database, jobId: string): Promise<string[]> {
  const chunks = await db.select().from(jobLogChunks).where(eq(jobLogChunks.jobId, jobId)).orderBy(jobLogChunks.firstLine);
  return chunks.flatMap((c) => c.content.split("\n"));
}
