import { describe, expect, it } from "vitest";
import type { Decision } from "./approvals";
import { checkState, checksProblem, type RunJob } from "./checks";
import { describeHolds, judge, nextRecheck, type JudgeInput, type Verdict } from "./judge";
import { refProblem } from "./refs";
import { OPEN_RULES, protectionRulesSchema, rollbackExemptions, type FreezeWindow, type ProtectionRules, type RollbackExemption } from "./rules";

const NOW = new Date("2026-03-04T12:00:00Z");
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
const job = (jobId: string, status: string, key = jobId): RunJob => ({ jobId, key, name: jobId, status });
const approval = (userId: string, stageIndex = 0, decision: Decision["decision"] = "approved"): Decision => ({ userId, label: userId, decision, stageIndex, comment: decision === "rejected" ? "no" : "", at: NOW });

const base = (overrides: Partial<JudgeInput> = {}): JudgeInput => ({
  environmentName: "production",
  rules: OPEN_RULES,
  kind: "deploy",
  ref: { branch: "main", tag: null },
  jobs: [job("build", "succeeded"), job("test", "succeeded")],
  previousEnvironment: { name: "staging", succeeded: true },
  requestedAt: NOW,
  now: NOW,
  freezeWindows: [],
  freezeOverride: null,
  decisions: [],
  ...overrides,
});
const rules = (raw: Record<string, unknown>): ProtectionRules => protectionRulesSchema.parse(raw);
const freeze = (mode: "wait" | "refuse", endsInMinutes = 60): FreezeWindow => ({ id: "f", name: "Release freeze", kind: "once", startsAt: minutes(-60), endsAt: minutes(endsInMinutes), mode });
const rm = { name: "Release manager", count: 1, approvers: { roles: ["maintainer"] } };

describe("each rule alone", () => {
  it("passes an open environment", () => {
    expect(judge(base())).toMatchObject({ outcome: "pass", notes: [] });
  });

  it("branch and tag filter: refuses other refs, with the patterns in the reason", () => {
    const r = rules({ allowedBranches: ["main", "release/*", "!release/old-*"], allowedTags: ["v*"] });
    expect(judge(base({ rules: r })).outcome).toBe("pass");
    expect(judge(base({ rules: r, ref: { branch: "release/2.0", tag: null } })).outcome).toBe("pass");
    expect(judge(base({ rules: r, ref: { branch: null, tag: "v2.0.1" } })).outcome).toBe("pass");
    expect(judge(base({ rules: r, ref: { branch: "release/old-1", tag: null } }))).toEqual({
      outcome: "refuse",
      rule: "refs",
      reason: "Only branches main, release/*, !release/old-* and tags v* may deploy to production; this release was built from branch release/old-1.",
    });
    expect(judge(base({ rules: r, ref: { branch: "feature/x", tag: null } })).outcome).toBe("refuse");
    expect(refProblem(rules({ allowedTags: ["v*"] }), { branch: "main", tag: null }, "prod")).toBe("Only tags v* may deploy to prod; this release was built from branch main.");
    expect(refProblem(rules({ allowedBranches: ["main"] }), { branch: null, tag: null }, "prod")).toBe("Only branches main may deploy to prod, and this release's branch or tag is not known.");
  });

  it("required checks: every matrix instance must have succeeded; a missing, failed or unfinished one refuses", () => {
    const jobs = [job("test", "succeeded", "test[node=18]"), job("test", "failed", "test[node=20]"), job("lint", "running"), job("build", "succeeded")];
    expect(checkState(jobs, "build")).toBe("succeeded");
    expect(checkState(jobs, "test")).toBe("failed");
    expect(checkState(jobs, "test[node=18]")).toBe("succeeded");
    expect(checkState(jobs, "lint")).toBe("pending");
    expect(checkState(jobs, "e2e")).toBe("missing");
    expect(checksProblem(["build", "test", "lint", "e2e"], jobs)).toBe(
      "Required checks are not met: test did not succeed; lint has not finished (make the deploy job need it); e2e is not a job of the run.",
    );
    expect(judge(base({ rules: rules({ requiredChecks: ["test"] }), jobs }))).toMatchObject({ outcome: "refuse", rule: "checks" });
    expect(judge(base({ rules: rules({ requiredChecks: ["test"] }), jobs: null }))).toMatchObject({ outcome: "refuse", reason: expect.stringMatching(/has no run/) });
    expect(judge(base({ rules: rules({ requiredChecks: ["build", "test"] }) })).outcome).toBe("pass");
  });

  it("promotion lifecycle: the release must have succeeded in the environment before, not in the first one", () => {
    const r = rules({ requirePreviousEnvironment: true });
    expect(judge(base({ rules: r })).outcome).toBe("pass");
    expect(judge(base({ rules: r, previousEnvironment: { name: "staging", succeeded: false } }))).toEqual({
      outcome: "refuse",
      rule: "promotion",
      reason: "production takes only releases that succeeded in staging first; deploy it there before.",
    });
    expect(judge(base({ rules: r, previousEnvironment: null })).outcome).toBe("pass");
  });

  it("wait timer: waits until the request's time plus the timer, then passes", () => {
    const r = rules({ waitTimerMinutes: 15 });
    expect(judge(base({ rules: r }))).toMatchObject({ outcome: "wait", rule: "waitTimer", until: minutes(15), reason: "Wait timer: 15 minutes after the request" });
    expect(judge(base({ rules: r, now: minutes(14) })).outcome).toBe("wait");
    expect(judge(base({ rules: r, now: minutes(15) })).outcome).toBe("pass");
  });

  it("freeze: waits until the freeze ends, refuses in a refusing freeze, and an override lets it through with a note", () => {
    expect(judge(base({ freezeWindows: [freeze("wait")] }))).toMatchObject({ outcome: "wait", rule: "freeze", until: minutes(60) });
    expect(judge(base({ freezeWindows: [freeze("wait")], now: minutes(60) })).outcome).toBe("pass");
    expect(judge(base({ freezeWindows: [freeze("refuse")] }))).toMatchObject({ outcome: "refuse", rule: "freeze", reason: expect.stringMatching(/refuses deployments; an administrator can override/) });
    const overridden = judge(base({ freezeWindows: [freeze("refuse")], freezeOverride: { by: "admin@example.test", reason: "hotfix for the outage" } }));
    expect(overridden).toMatchObject({ outcome: "pass", notes: [expect.stringMatching(/overridden by admin@example.test: hotfix for the outage$/)] });
  });

  it("approvals: needs the current stage, passes when all stages are approved, refuses when rejected", () => {
    const r = rules({ stages: [{ name: "QA", count: 1, approvers: { groups: ["qa"] } }, rm] });
    expect(judge(base({ rules: r }))).toMatchObject({ outcome: "needs-approval", stageIndex: 0, stage: { name: "QA" } });
    expect(judge(base({ rules: r, decisions: [approval("q")] }))).toMatchObject({ outcome: "needs-approval", stageIndex: 1 });
    expect(judge(base({ rules: r, decisions: [approval("q"), approval("m", 1)] })).outcome).toBe("pass");
    expect(judge(base({ rules: r, decisions: [approval("q"), approval("m", 1, "rejected")] }))).toEqual({ outcome: "refuse", rule: "approvals", reason: "Rejected by m: no" });
  });
});

describe("combinations", () => {
  it("report every hold, approvals first, and the earliest time worth looking again", () => {
    const r = rules({ stages: [rm], waitTimerMinutes: 90 });
    const verdict = judge(base({ rules: r, freezeWindows: [freeze("wait", 30)] }));
    expect(verdict.outcome).toBe("needs-approval");
    const holds = (verdict as Extract<Verdict, { holds: unknown }>).holds;
    expect(holds.map((h) => h.rule)).toEqual(["approvals", "freeze", "waitTimer"]);
    expect(nextRecheck(holds)).toEqual(minutes(30));
    expect(describeHolds(holds)).toMatch(/^Waiting for approval \(Release manager: 1 more of 1\); Deployments are frozen \("Release freeze"\) until .*; Wait timer: 90 minutes after the request$/);
    // Approved, the freeze is what it waits for; after the freeze, the timer.
    expect(judge(base({ rules: r, freezeWindows: [freeze("wait", 30)], decisions: [approval("m")] }))).toMatchObject({ outcome: "wait", rule: "freeze", until: minutes(30) });
    expect(judge(base({ rules: r, freezeWindows: [freeze("wait", 30)], decisions: [approval("m")], now: minutes(30) }))).toMatchObject({ outcome: "wait", rule: "waitTimer", until: minutes(90) });
    expect(judge(base({ rules: r, freezeWindows: [freeze("wait", 30)], decisions: [approval("m")], now: minutes(90) })).outcome).toBe("pass");
  });

  it("a rollback skips exactly the rules it is exempt from, and says so", () => {
    const r = rules({ stages: [rm], waitTimerMinutes: 5, allowedBranches: ["main"], rollbackExemptions: ["approvals", "freeze"] });
    const rollback = base({ rules: r, kind: "rollback", freezeWindows: [freeze("refuse")] });
    expect(judge(rollback)).toMatchObject({ outcome: "wait", rule: "waitTimer" });
    expect(judge({ ...rollback, ref: { branch: "hotfix", tag: null } }).outcome).toBe("refuse");
    expect(judge({ ...rollback, now: minutes(5) })).toMatchObject({ outcome: "pass", notes: ["Rollback: approvals, freeze windows skipped, as this environment's rules allow"] });
    // The same request as a deployment meets every rule.
    expect(judge({ ...rollback, kind: "deploy" })).toMatchObject({ outcome: "refuse", rule: "freeze" });
  });

  // Every combination of the conditions, against the precedence the rules promise:
  // refusals (refs, checks, promotion, rejection, refusing freeze) before holds (approvals, freeze, timer),
  // an override lifting either kind of freeze, and a rollback skipping what it is exempt from.
  const conditions = ["badRef", "badCheck", "notPromoted", "pending", "rejected", "freezeWait", "freezeRefuse", "override", "timer", "rollback"] as const;
  type Combo = Record<(typeof conditions)[number], boolean>;
  const combos: Combo[] = [];
  for (let mask = 0; mask < 1 << conditions.length; mask++) combos.push(Object.fromEntries(conditions.map((c, i) => [c, (mask & (1 << i)) !== 0])) as Combo);

  const exemptionSets: RollbackExemption[][] = [[], [...rollbackExemptions], ["approvals", "freeze"], ["refs", "checks", "promotion"], ["waitTimer"]];

  function inputFor(c: Combo, exemptions: RollbackExemption[]): JudgeInput {
    const windows = [...(c.freezeWait ? [freeze("wait")] : []), ...(c.freezeRefuse ? [{ ...freeze("refuse"), id: "r", name: "Hard freeze" }] : [])];
    return base({
      kind: c.rollback ? "rollback" : "deploy",
      rules: rules({
        stages: c.pending || c.rejected ? [rm] : [],
        allowedBranches: ["main"],
        requiredChecks: ["test"],
        requirePreviousEnvironment: true,
        waitTimerMinutes: c.timer ? 10 : 0,
        rollbackExemptions: exemptions,
      }),
      ref: { branch: c.badRef ? "feature/x" : "main", tag: null },
      jobs: [job("test", c.badCheck ? "failed" : "succeeded")],
      previousEnvironment: { name: "staging", succeeded: !c.notPromoted },
      freezeWindows: windows,
      freezeOverride: c.override ? { by: "admin", reason: "urgent" } : null,
      decisions: c.rejected ? [approval("m", 0, "rejected")] : [],
    });
  }

  function expected(c: Combo, exemptions: RollbackExemption[]): { outcome: Verdict["outcome"]; rule?: string } {
    const skip = (rule: RollbackExemption) => c.rollback && exemptions.includes(rule);
    if (c.badRef && !skip("refs")) return { outcome: "refuse", rule: "refs" };
    if (c.badCheck && !skip("checks")) return { outcome: "refuse", rule: "checks" };
    if (c.notPromoted && !skip("promotion")) return { outcome: "refuse", rule: "promotion" };
    if (c.rejected && !skip("approvals")) return { outcome: "refuse", rule: "approvals" };
    const frozen = (c.freezeWait || c.freezeRefuse) && !skip("freeze") && !c.override;
    if (frozen && c.freezeRefuse) return { outcome: "refuse", rule: "freeze" };
    if (c.pending && !c.rejected && !skip("approvals")) return { outcome: "needs-approval" };
    if (frozen) return { outcome: "wait", rule: "freeze" };
    if (c.timer && !skip("waitTimer")) return { outcome: "wait", rule: "waitTimer" };
    return { outcome: "pass" };
  }

  it(`follow the precedence in all ${combos.length * exemptionSets.length} combinations of conditions and rollback exemptions`, () => {
    let checked = 0;
    for (const exemptions of exemptionSets) {
      for (const c of combos) {
        const verdict = judge(inputFor(c, exemptions));
        const want = expected(c, exemptions);
        const got = { outcome: verdict.outcome, ...("rule" in verdict ? { rule: verdict.rule } : {}) };
        if (want.outcome === "needs-approval") expect(got.outcome, JSON.stringify({ c, exemptions })).toBe("needs-approval");
        else expect(got, JSON.stringify({ c, exemptions })).toEqual(want);
        // A pass after an override says who overrode and why.
        if (verdict.outcome === "pass" && c.override && (c.freezeWait || c.freezeRefuse) && !(c.rollback && exemptions.includes("freeze"))) {
          expect(verdict.notes.some((n) => n.includes("overridden by admin: urgent"))).toBe(true);
        }
        checked++;
      }
    }
    expect(checked).toBe(5120);
  });
});
