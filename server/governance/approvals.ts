import type { ApprovalStage, Approvers, ProjectRole } from "./rules";

/**
 * Approval stages in order, each with its own count and eligible approvers; one decision per
 * person per request; a rejection rejects the request. Pure.
 */

export type Person = {
  id: string;
  email: string;
  /** Role in the request's project (site admins count as admin), or null when not a member. */
  role: ProjectRole | null;
  /** Names of the project's approver groups the person belongs to. */
  groups: string[];
};

export type Decision = {
  userId: string;
  label: string;
  decision: "approved" | "rejected";
  /** The stage the decision was made in. */
  stageIndex: number;
  comment: string;
  at: Date;
};

/** Who may not approve under separation of duties. */
export type SeparationFacts = {
  /** The person who triggered the release's run. */
  triggeredBy: string | null;
  /** The person who asked for the deployment (for a pipeline deploy job, the run's triggerer). */
  requestedBy: string | null;
  /** Emails of the authors of the commits between what runs in the environment now and the release. */
  authors: string[];
};

export type ApprovalProgress =
  | { state: "approved"; approvals: Decision[] }
  | { state: "rejected"; rejection: Decision; approvals: Decision[] }
  | {
      state: "pending";
      stageIndex: number;
      stage: ApprovalStage;
      /** Approvals already given in the current stage. */
      approvals: Decision[];
      /** Approvals still needed in the current stage. */
      remaining: number;
    };

const roleRank: Record<ProjectRole, number> = { viewer: 0, developer: 1, maintainer: 2, admin: 3 };

/** Whether the person is one of the stage's approvers: named, with at least a listed role, or in a listed group. */
export function isEligible(person: Person, approvers: Approvers): boolean {
  if (approvers.users.includes(person.id)) return true;
  if (person.role && approvers.roles.some((r) => roleRank[person.role!] >= roleRank[r])) return true;
  return approvers.groups.some((g) => person.groups.includes(g));
}

/** Why separation of duties excludes the person, or null. */
export function separationConflict(person: Person, facts: SeparationFacts): string | null {
  if (facts.triggeredBy === person.id) return "You triggered the run that built this release, so separation of duties does not let you approve it.";
  if (facts.requestedBy === person.id) return "You asked for this deployment, so separation of duties does not let you approve it.";
  const email = person.email.toLowerCase();
  if (facts.authors.some((a) => a.toLowerCase() === email)) {
    return "You authored a commit in this change set, so separation of duties does not let you approve it.";
  }
  return null;
}

/** Where the request stands: decisions are counted in the stage they were made in. */
export function approvalProgress(stages: ApprovalStage[], decisions: Decision[]): ApprovalProgress {
  const approvals = decisions.filter((d) => d.decision === "approved");
  const rejection = decisions.find((d) => d.decision === "rejected");
  if (rejection) return { state: "rejected", rejection, approvals };
  for (let i = 0; i < stages.length; i++) {
    const here = approvals.filter((d) => d.stageIndex === i);
    if (here.length < stages[i].count) return { state: "pending", stageIndex: i, stage: stages[i], approvals: here, remaining: stages[i].count - here.length };
  }
  return { state: "approved", approvals };
}

export type MayDecide = { ok: true; stageIndex: number; stage: ApprovalStage } | { ok: false; reason: string };

/** Whether the person may approve or reject now, and in which stage; else why not, in a sentence for them. */
export function mayDecide(person: Person, input: { stages: ApprovalStage[]; decisions: Decision[]; separation: SeparationFacts; separationOfDuties: boolean }): MayDecide {
  const progress = approvalProgress(input.stages, input.decisions);
  if (progress.state === "approved") return { ok: false, reason: "This request is already approved." };
  if (progress.state === "rejected") return { ok: false, reason: `This request was already rejected by ${progress.rejection.label}.` };
  if (input.decisions.some((d) => d.userId === person.id)) return { ok: false, reason: "You already decided on this request; one decision per person." };
  if (input.separationOfDuties) {
    const conflict = separationConflict(person, input.separation);
    if (conflict) return { ok: false, reason: conflict };
  }
  if (!isEligible(person, progress.stage.approvers)) {
    const later = input.stages.findIndex((s, i) => i > progress.stageIndex && isEligible(person, s.approvers));
    return {
      ok: false,
      reason:
        later >= 0
          ? `This request is in stage ${progress.stageIndex + 1} (${progress.stage.name}); you approve in stage ${later + 1} (${input.stages[later].name}), after it.`
          : `You are not an approver of stage ${progress.stageIndex + 1} (${progress.stage.name}).`,
    };
  }
  return { ok: true, stageIndex: progress.stageIndex, stage: progress.stage };
}

export function describeProgress(progress: ApprovalProgress, stageCount: number): string {
  switch (progress.state) {
    case "approved":
      return `Approved by ${progress.approvals.map((a) => a.label).join(", ") || "nobody needed"}`;
    case "rejected":
      return `Rejected by ${progress.rejection.label}${progress.rejection.comment ? `: ${progress.rejection.comment}` : ""}`;
    case "pending": {
      const stage = stageCount > 1 ? `stage ${progress.stageIndex + 1} of ${stageCount}, ` : "";
      return `Waiting for approval (${stage}${progress.stage.name}: ${progress.remaining} more of ${progress.stage.count})`;
    }
  }
}

const roleWords: Record<ProjectRole, string> = { admin: "a project admin", maintainer: "a maintainer or admin", developer: "a developer or above", viewer: "any member" };

/** Who may approve in a stage, as people read it ("Alice, a maintainer or admin or a member of qa"); `nameOf` names a user id. */
export function describeApprovers(approvers: Approvers, nameOf: (userId: string) => string): string {
  const who = [...approvers.users.map(nameOf), ...approvers.roles.map((r) => roleWords[r]), ...approvers.groups.map((g) => `a member of ${g}`)];
  return who.length > 1 ? `${who.slice(0, -1).join(", ")} or ${who.at(-1)}` : (who[0] ?? "nobody");
}
