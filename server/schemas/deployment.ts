import { z } from "zod";
import { environmentIdInput } from "./environment";
import { projectIdInput } from "./project";

export const deploymentIdInput = projectIdInput.extend({ deploymentId: z.uuid("Unknown deployment.") });

export const listDeploymentsInput = environmentIdInput.extend({
  limit: z.number().int().min(1).max(200).default(50),
});

/**
 * Settings of this deployment only, over the environment's defaults: the same keys as the
 * environment's `strategy` (server/deploy/spec.ts), checked in full once merged.
 */
const overrides = z.record(z.string(), z.unknown()).optional();

export const deployInput = projectIdInput.extend({
  releaseId: z.uuid("Unknown release."),
  environmentId: z.uuid("Unknown environment."),
  overrides,
});

export const promoteInput = projectIdInput.extend({
  releaseId: z.uuid("Unknown release."),
  /** The environment it succeeded in; it goes to the next one in promotion order. */
  fromEnvironmentId: z.uuid("Unknown environment."),
});

export const rollbackInput = environmentIdInput.extend({
  /** An earlier release of this project; the one before the current release when absent. */
  toReleaseId: z.uuid("Unknown release.").optional(),
});

export const signalTypes = ["pause", "resume", "promoteNow", "abort"] as const;
export type SignalName = (typeof signalTypes)[number];
