import { z } from "zod";
import { cronProblem, timezoneProblem } from "@/server/pipeline/cron";
import { globMatch } from "@/server/pipeline/triggers";

/**
 * An environment's protection rules: who must approve a deployment there (stages in order),
 * separation of duties, which branches and tags may deploy, a wait timer, required checks,
 * the promotion lifecycle and which rules a rollback skips. Freeze windows are a calendar
 * kept beside the rules (freeze.ts): they apply as they are now, while a pending request is
 * judged by the rules version it was made under.
 */

export const projectRoles = ["admin", "maintainer", "developer", "viewer"] as const;
export type ProjectRole = (typeof projectRoles)[number];

/** What a rollback may skip, rule by rule (teams expect emergencies to be fast). */
export const rollbackExemptions = ["approvals", "waitTimer", "freeze", "refs", "checks", "promotion"] as const;
export type RollbackExemption = (typeof rollbackExemptions)[number];

const pattern = z
  .string()
  .trim()
  .min(1, "A pattern cannot be empty.")
  .max(200, "A pattern is at most 200 characters.")
  .refine((p) => {
    if (!p.replace(/^!/, "")) return p === "";
    try {
      globMatch(p.replace(/^!/, ""), "x");
      return true;
    } catch {
      return false;
    }
  }, "This is not a valid pattern; use globs like main, release/*, v*.");

export const approversSchema = z
  .object({
    /** User ids. */
    users: z.array(z.uuid("Name approvers by their user id.")).max(100).default([]),
    /** Anyone with at least this role in the project. */
    roles: z.array(z.enum(projectRoles, { error: "Role must be admin, maintainer, developer or viewer." })).max(4).default([]),
    /** Names of the project's approver groups. */
    groups: z.array(z.string().trim().min(1).max(80)).max(50).default([]),
  })
  .refine((a) => a.users.length + a.roles.length + a.groups.length > 0, "Say who may approve: people, a role or a group.");
export type Approvers = z.infer<typeof approversSchema>;

export const approvalStageSchema = z.object({
  name: z.string().trim().min(1, "Name the stage (e.g. QA lead).").max(80, "A stage name is at most 80 characters."),
  count: z.number().int("The number of approvals is a whole number.").min(1, "A stage needs at least 1 approval.").max(20, "A stage needs at most 20 approvals."),
  approvers: approversSchema,
});
export type ApprovalStage = z.infer<typeof approvalStageSchema>;

export const protectionRulesSchema = z.object({
  /** Approval stages, in order; empty means no approval is needed. */
  stages: z.array(approvalStageSchema).max(10, "At most 10 approval stages.").default([]),
  /** The run's triggerer, the requester and the commit authors in the change set may not approve. */
  separationOfDuties: z.boolean().default(true),
  /** Branch patterns that may deploy here (`!pattern` excludes); with no branch and no tag pattern, any ref may. */
  allowedBranches: z.array(pattern).max(50).default([]),
  allowedTags: z.array(pattern).max(50).default([]),
  /** Minutes between the request and the start. */
  waitTimerMinutes: z.number().int().min(0).max(43_200, "The wait timer is at most 30 days (43200 minutes).").default(0),
  /** Jobs of the release's run (by job id, key or name) that must have succeeded. */
  requiredChecks: z.array(z.string().trim().min(1).max(200)).max(50).default([]),
  /** The release must have succeeded in the environment before this one in promotion order. */
  requirePreviousEnvironment: z.boolean().default(false),
  /** The rules a rollback skips. */
  rollbackExemptions: z.array(z.enum(rollbackExemptions)).default([]),
  /** A request with no decision by then is rejected. */
  approvalExpiryHours: z.number().int().min(1, "Requests expire after at least 1 hour.").max(24 * 90, "Requests expire after at most 90 days.").default(72),
});
export type ProtectionRules = z.infer<typeof protectionRulesSchema>;

/** The rules of an environment nobody protected: anything may deploy at once. */
export const OPEN_RULES: ProtectionRules = protectionRulesSchema.parse({});

export const freezeWindowSchema = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("once"),
      startsAt: z.coerce.date({ error: "Give the start as a date and time." }),
      endsAt: z.coerce.date({ error: "Give the end as a date and time." }),
    }),
    z.object({
      kind: z.literal("recurring"),
      cron: z.string().trim().min(1, "Give the cron expression of when the freeze starts."),
      timezone: z.string().trim().default("UTC"),
      durationMinutes: z.number().int().min(1, "A freeze lasts at least a minute.").max(60 * 24 * 31, "A recurring freeze lasts at most 31 days."),
    }),
  ])
  .and(
    z.object({
      name: z.string().trim().min(1, "Name the freeze window.").max(120),
      /** wait: deployments wait and start when it ends; refuse: they are refused. */
      mode: z.enum(["wait", "refuse"]).default("wait"),
    }),
  )
  .superRefine((w, ctx) => {
    if (w.kind === "once" && w.endsAt.getTime() <= w.startsAt.getTime()) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "The freeze must end after it starts." });
    if (w.kind === "recurring") {
      const cron = cronProblem(w.cron);
      if (cron) ctx.addIssue({ code: "custom", path: ["cron"], message: `Invalid cron "${w.cron}": ${cron}.` });
      const tz = timezoneProblem(w.timezone);
      if (tz) ctx.addIssue({ code: "custom", path: ["timezone"], message: tz });
    }
  });
export type FreezeWindowInput = z.infer<typeof freezeWindowSchema>;
export type FreezeWindow = FreezeWindowInput & { id: string };

/** Differences that matter to an auditor, as sentences (empty when nothing changed). */
export function describeRuleChanges(before: ProtectionRules, after: ProtectionRules): string[] {
  const changes: string[] = [];
  if (before.separationOfDuties !== after.separationOfDuties) changes.push(after.separationOfDuties ? "Separation of duties turned on" : "Separation of duties turned off");
  if (JSON.stringify(before.stages) !== JSON.stringify(after.stages)) changes.push(`Approval stages: ${describeStages(before.stages)} -> ${describeStages(after.stages)}`);
  if (JSON.stringify(before.allowedBranches) !== JSON.stringify(after.allowedBranches)) changes.push(`Allowed branches: ${list(before.allowedBranches)} -> ${list(after.allowedBranches)}`);
  if (JSON.stringify(before.allowedTags) !== JSON.stringify(after.allowedTags)) changes.push(`Allowed tags: ${list(before.allowedTags)} -> ${list(after.allowedTags)}`);
  if (before.waitTimerMinutes !== after.waitTimerMinutes) changes.push(`Wait timer: ${before.waitTimerMinutes} -> ${after.waitTimerMinutes} minutes`);
  if (JSON.stringify(before.requiredChecks) !== JSON.stringify(after.requiredChecks)) changes.push(`Required checks: ${list(before.requiredChecks)} -> ${list(after.requiredChecks)}`);
  if (before.requirePreviousEnvironment !== after.requirePreviousEnvironment) changes.push(after.requirePreviousEnvironment ? "Promotion lifecycle required" : "Promotion lifecycle no longer required");
  if (JSON.stringify(before.rollbackExemptions) !== JSON.stringify(after.rollbackExemptions)) changes.push(`Rollbacks skip: ${list(before.rollbackExemptions)} -> ${list(after.rollbackExemptions)}`);
  if (before.approvalExpiryHours !== after.approvalExpiryHours) changes.push(`Requests expire after ${before.approvalExpiryHours} -> ${after.approvalExpiryHours} hours`);
  return changes;
}

export function describeStages(stages: ApprovalStage[]): string {
  return stages.length ? stages.map((s) => `${s.name} (${s.count})`).join(", then ") : "none";
}

const list = (items: readonly string[]) => (items.length ? items.join(", ") : "none");
