import type { Database } from "@/db/client";
import type { JobRow, Run } from "@/db/schema";
import type { ExpressionContext, UsesStep } from "@/server/pipeline";

/** What a built-in step (checkout, cache, artifacts) may use; it works on the workspace on the worker's disk. */
export type BuiltinContext = {
  db: Database;
  dataDir: string;
  run: Run;
  job: JobRow;
  repositoryUrl: string;
  /** Host path of the job's workspace. */
  workspace: string;
  /** Secrets the job may read: checkout credentials come from here. */
  secrets: Record<string, string>;
  checkoutSecret: string | null;
  expressions: ExpressionContext;
  log: (line: string) => void;
  signal: AbortSignal;
};

/** Runs once the job's steps are done, e.g. saving a cache that missed. */
export type PostStep = { name: string; run: () => Promise<void> };

export interface Builtins {
  run(step: UsesStep, ctx: BuiltinContext): Promise<PostStep | void>;
}
