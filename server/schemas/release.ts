import { z } from "zod";
import { projectIdInput } from "./project";

export const releaseIdInput = projectIdInput.extend({ releaseId: z.uuid("Unknown release.") });

export const listReleasesInput = projectIdInput.extend({
  /** Keyset pagination: releases numbered below this one. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

/** A version label as people write it: 1.4.0, 2024.05.1, a7c9e1f, v3-rc1. */
export const versionLabelSchema = z
  .string()
  .trim()
  .min(1, "A release needs a version label.")
  .max(100, "A version label is at most 100 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, "A version label uses letters, digits, dots, dashes, plus signs and underscores.");
