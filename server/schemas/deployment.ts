import { z } from "zod";
import type { VersionMetrics } from "@/server/deploy/types";
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

/** What a deploy, promotion or rollback would change, for the confirmation people see before it. */
export const previewInput = environmentIdInput.extend({
  /** The release that would go live in the environment. */
  releaseId: z.uuid("Unknown release."),
  kind: z.enum(["deploy", "promotion", "rollback"], { error: 'kind must be "deploy", "promotion" or "rollback"' }),
  /** Promotions: the environment it comes from, whose variables it is compared with. */
  fromEnvironmentId: z.uuid("Unknown environment.").optional(),
});

export const signalTypes = ["pause", "resume", "promoteNow", "abort"] as const;
export type SignalName = (typeof signalTypes)[number];

/** One sample of the router's per-version measurements, as a deployment's event stream sends it every few seconds. */
export type MetricsSample = { at: number; windowSeconds: number; versions: VersionMetrics[] };
