import { approvalProgress, describeProgress, type ApprovalProgress, type Decision } from "./approvals";
import { checksProblem, type RunJob } from "./checks";
import { activeFreeze, describeFreeze } from "./freeze";
import { refProblem, type ReleaseRef } from "./refs";
import type { ApprovalStage, FreezeWindow, ProtectionRules, RollbackExemption } from "./rules";

/**
 * Judges one deployment request against the rules in force: pass, wait (until a time),
 * refuse (with the reason), or needs-approval (in a stage). Pure: the caller gathers the
 * facts (the run's jobs, where the release succeeded, the decisions so far) and the time.
 */

export type DeploymentKind = "deploy" | "promotion" | "rollback";

export type JudgeInput = {
  environmentName: string;
  rules: ProtectionRules;
  kind: DeploymentKind;
  /** The branch or tag the release was built from. */
  ref: ReleaseRef;
  /** The jobs of the release's run, or null when it has none (a release made through the API). */
  jobs: RunJob[] | null;
  /** The environment before this one in promotion order and whether the release succeeded there; null for the first. */
  previousEnvironment: { name: string; succeeded: boolean } | null;
  /** When the deployment was asked for: the wait timer counts from it. */
  requestedAt: Date;
  now: Date;
  freezeWindows: FreezeWindow[];
  /** An administrator's written override of the freeze for this deployment. */
  freezeOverride: { by: string; reason: string } | null;
  /** Decisions on the approval request bound to this release, environment, digest and revision. */
  decisions: Decision[];
};

export type RuleName = "refs" | "checks" | "promotion" | "freeze" | "waitTimer" | "approvals";

export type Hold =
  | { rule: "approvals"; reason: string; stageIndex: number; stage: ApprovalStage }
  | { rule: "freeze"; reason: string; until: Date }
  | { rule: "waitTimer"; reason: string; until: Date };

export type Verdict =
  | { outcome: "pass"; notes: string[]; progress: ApprovalProgress }
  | { outcome: "refuse"; rule: RuleName; reason: string }
  | { outcome: "needs-approval"; reason: string; stageIndex: number; stage: ApprovalStage; holds: Hold[]; progress: ApprovalProgress }
  | { outcome: "wait"; rule: "freeze" | "waitTimer"; reason: string; until: Date; holds: Hold[]; progress: ApprovalProgress };

export function judge(input: JudgeInput): Verdict {
  const { rules } = input;
  const exempt = (rule: RollbackExemption) => input.kind === "rollback" && rules.rollbackExemptions.includes(rule);
  const notes: string[] = [];
  const skipped = rollbackSkips(input);
  if (skipped.length) notes.push(`Rollback: ${skipped.join(", ")} skipped, as this environment's rules allow`);

  // Refusals first: waiting would not change them.
  if (!exempt("refs")) {
    const problem = refProblem(rules, input.ref, input.environmentName);
    if (problem) return { outcome: "refuse", rule: "refs", reason: problem };
  }
  if (!exempt("checks")) {
    const problem = checksProblem(rules.requiredChecks, input.jobs);
    if (problem) return { outcome: "refuse", rule: "checks", reason: problem };
  }
  if (!exempt("promotion") && rules.requirePreviousEnvironment && input.previousEnvironment && !input.previousEnvironment.succeeded) {
    return {
      outcome: "refuse",
      rule: "promotion",
      reason: `${input.environmentName} takes only releases that succeeded in ${input.previousEnvironment.name} first; deploy it there before.`,
    };
  }
  const progress: ApprovalProgress = exempt("approvals") ? { state: "approved", approvals: [] } : approvalProgress(rules.stages, input.decisions);
  if (progress.state === "rejected") return { outcome: "refuse", rule: "approvals", reason: describeProgress(progress, rules.stages.length) };

  const holds: Hold[] = [];
  if (progress.state === "pending") holds.push({ rule: "approvals", reason: describeProgress(progress, rules.stages.length), stageIndex: progress.stageIndex, stage: progress.stage });
  if (!exempt("freeze")) {
    const freeze = activeFreeze(input.freezeWindows, input.now);
    if (freeze) {
      if (input.freezeOverride) notes.push(`${describeFreeze(freeze)}; overridden by ${input.freezeOverride.by}: ${input.freezeOverride.reason}`);
      else if (freeze.refuses) return { outcome: "refuse", rule: "freeze", reason: `${describeFreeze(freeze)}, and this freeze refuses deployments; an administrator can override it with a written reason.` };
      else holds.push({ rule: "freeze", reason: `${describeFreeze(freeze)}; it starts by itself then`, until: freeze.until });
    }
  }
  if (!exempt("waitTimer") && rules.waitTimerMinutes > 0) {
    const until = new Date(input.requestedAt.getTime() + rules.waitTimerMinutes * 60_000);
    if (until.getTime() > input.now.getTime()) holds.push({ rule: "waitTimer", reason: `Wait timer: ${rules.waitTimerMinutes} ${rules.waitTimerMinutes === 1 ? "minute" : "minutes"} after the request`, until });
  }

  const [first] = holds;
  if (!first) return { outcome: "pass", notes, progress };
  if (first.rule === "approvals") return { outcome: "needs-approval", reason: first.reason, stageIndex: first.stageIndex, stage: first.stage, holds, progress };
  return { outcome: "wait", rule: first.rule, reason: first.reason, until: first.until, holds, progress };
}

/** The rules the request would have had to meet that a rollback skips. */
function rollbackSkips(input: JudgeInput): string[] {
  if (input.kind !== "rollback") return [];
  const { rules } = input;
  const applies: Record<RollbackExemption, boolean> = {
    approvals: rules.stages.length > 0,
    waitTimer: rules.waitTimerMinutes > 0,
    freeze: input.freezeWindows.length > 0,
    refs: rules.allowedBranches.length + rules.allowedTags.length > 0,
    checks: rules.requiredChecks.length > 0,
    promotion: rules.requirePreviousEnvironment,
  };
  const names: Record<RollbackExemption, string> = { approvals: "approvals", waitTimer: "wait timer", freeze: "freeze windows", refs: "branch filter", checks: "required checks", promotion: "promotion lifecycle" };
  return rules.rollbackExemptions.filter((r) => applies[r]).map((r) => names[r]);
}

/** The sentence a held deployment shows: every rule it still waits for. */
export function describeHolds(holds: Hold[]): string {
  return holds.map((h) => h.reason).join("; ");
}

/** The earliest time a re-judgement may change a `wait` verdict (null when only people can). */
export function nextRecheck(holds: Hold[]): Date | null {
  const times = holds.filter((h): h is Extract<Hold, { until: Date }> => "until" in h).map((h) => h.until.getTime());
  return times.length ? new Date(Math.min(...times)) : null;
}
