import { z } from "zod";
import { environmentIdInput } from "./environment";
import { projectIdInput } from "./project";

/** Inputs of the approvals and governance routers. Rules and freeze windows are checked in full by server/governance. */

export const inboxInput = z.object({ limit: z.number().int().min(1).max(500).default(100) }).optional();

export const requestIdInput = projectIdInput.extend({ requestId: z.uuid("Unknown approval request.") });

const comment = z.string().trim().max(2000, "A comment is at most 2000 characters.");

export const approveInput = requestIdInput.extend({ comment: comment.optional() });

export const rejectInput = requestIdInput.extend({ comment: comment.min(1, "Say why you reject it; the comment is shown to the requester and kept in the audit trail.") });

export const bulkApproveInput = projectIdInput.extend({
  requestIds: z.array(z.uuid("Unknown approval request.")).min(1, "Choose at least one request.").max(100, "Approve at most 100 at once."),
  comment: comment.optional(),
});

export const listRequestsInput = projectIdInput.extend({
  environmentId: z.uuid().optional(),
  releaseId: z.uuid().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const gateInput = projectIdInput.extend({ deploymentId: z.uuid("Unknown deployment.") });

export const setRulesInput = environmentIdInput.extend({ rules: z.record(z.string(), z.unknown()) });

export const freezeWindowsInput = projectIdInput.extend({ environmentId: z.uuid().optional() });

export const addFreezeWindowInput = projectIdInput.extend({
  /** Absent: every environment of the project. */
  environmentId: z.uuid().nullable().optional(),
  window: z.record(z.string(), z.unknown()),
});

export const removeFreezeWindowInput = projectIdInput.extend({ freezeWindowId: z.uuid("Unknown freeze window.") });

export const overrideFreezeInput = projectIdInput.extend({
  deploymentId: z.uuid("Unknown deployment."),
  reason: z.string().trim().min(10, "Write why the freeze is overridden (at least 10 characters); it is kept in the audit trail and shown on the deployment.").max(2000),
});

export const setGroupInput = projectIdInput.extend({
  name: z.string().trim().min(1, "Name the group.").max(80),
  userIds: z.array(z.uuid()).max(200),
});

export const previewInput = environmentIdInput.extend({
  releaseId: z.uuid("Unknown release."),
  kind: z.enum(["deploy", "promotion", "rollback"]).default("deploy"),
});

export const createHookInput = projectIdInput.extend({
  name: z.string().trim().min(1, "Name the webhook.").max(80),
  url: z.string().trim().min(1, "Enter the URL to send to.").max(2000),
  format: z.enum(["generic", "slack", "teams"], { error: "Format must be generic, slack or teams." }).default("generic"),
  events: z.array(z.string().trim().min(1)).min(1, "Choose at least one event.").max(30),
  /** Site administrators only: deliveries to private or loopback addresses. */
  allowPrivate: z.boolean().default(false),
});

export const hookIdInput = projectIdInput.extend({ hookId: z.uuid("Unknown webhook.") });
export const deliveriesInput = hookIdInput.extend({ limit: z.number().int().min(1).max(200).default(50) });
