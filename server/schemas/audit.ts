import { z } from "zod";

export const auditFilterInput = z.object({
  projectId: z.uuid().optional(),
  actor: z.string().trim().max(200).optional(),
  action: z.string().trim().max(100).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** Keyset pagination: events with a sequence number below this one. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});
export type AuditFilter = z.infer<typeof auditFilterInput>;

/** The filtered list as a file: CSV, JSON, or JSON signed for offline verification. */
export const auditExportInput = auditFilterInput.omit({ before: true, limit: true }).extend({
  format: z.enum(["csv", "json", "signed"], { error: "Format must be csv, json or signed." }).default("signed"),
});
