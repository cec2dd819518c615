import { z } from "zod";
import { projectIdInput } from "./project";

/** The pipeline file as people type it; the pipeline core refuses anything larger itself too. */
export const pipelineYamlSchema = z.string().max(1_000_000, "A pipeline is at most 1 MB.");

export const positionsSchema = z.record(z.string(), z.object({ x: z.number().finite(), y: z.number().finite() }));

export const validatePipelineInput = projectIdInput.extend({ yaml: pipelineYamlSchema });

export const saveRevisionInput = projectIdInput.extend({
  yaml: pipelineYamlSchema,
  message: z.string().trim().max(500, "A message is at most 500 characters.").default(""),
  positions: positionsSchema.default({}),
  /** The revision the edit started from: saving over a newer one is refused, so no edit is lost silently. */
  baseNumber: z.number().int().min(0).optional(),
});

export const revisionInput = projectIdInput.extend({ number: z.number().int().positive() });

export const pipelineSourceInput = projectIdInput.extend({ source: z.enum(["repository", "slipway"]) });
