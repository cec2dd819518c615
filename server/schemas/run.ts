import { z } from "zod";
import { projectIdInput } from "./project";

export const runIdInput = projectIdInput.extend({ runId: z.uuid("Unknown run.") });

export const listRunsInput = projectIdInput.extend({
  /** Keyset pagination: runs numbered below this one. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const startRunInput = projectIdInput.extend({
  /** A branch, a tag or a commit id; the project's default branch when empty. */
  ref: z.string().trim().max(250, "A ref is at most 250 characters.").optional(),
  inputs: z.record(z.string(), z.union([z.string().max(10_000), z.number(), z.boolean()])).default({}),
});

export const rerunJobInput = runIdInput.extend({ jobKey: z.string().min(1).max(300) });

export const jobLogInput = runIdInput.extend({
  jobId: z.uuid(),
  fromLine: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(50_000).default(5_000),
});
