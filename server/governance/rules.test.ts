import { describe, expect, it } from "vitest";
import { describeRuleChanges, freezeWindowSchema, OPEN_RULES, protectionRulesSchema } from "./rules";

describe("protection rules", () => {
  it("default to an open environment with separation of duties on", () => {
    expect(OPEN_RULES).toEqual({
      stages: [],
      separationOfDuties: true,
      allowedBranches: [],
      allowedTags: [],
      waitTimerMinutes: 0,
      requiredChecks: [],
      requirePreviousEnvironment: false,
      rollbackExemptions: [],
      approvalExpiryHours: 72,
    });
  });

  it("need each stage to say who approves and how many", () => {
    const bad = protectionRulesSchema.safeParse({ stages: [{ name: "QA", count: 0, approvers: {} }] });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages).toContain("stages.0.count: A stage needs at least 1 approval.");
    expect(messages).toContain("stages.0.approvers: Say who may approve: people, a role or a group.");
    const good = protectionRulesSchema.parse({ stages: [{ name: "QA lead", count: 1, approvers: { groups: ["qa"] } }] });
    expect(good.stages[0].approvers).toEqual({ users: [], roles: [], groups: ["qa"] });
  });

  it("refuse an empty pattern and a wait timer beyond 30 days", () => {
    const bad = protectionRulesSchema.safeParse({ allowedBranches: [" "], waitTimerMinutes: 50_000 });
    expect(bad.error!.issues.map((i) => i.message)).toEqual(["A pattern cannot be empty.", "The wait timer is at most 30 days (43200 minutes)."]);
  });

  it("describe what changed for the audit trail, naming separation of duties turned off", () => {
    const after = protectionRulesSchema.parse({ separationOfDuties: false, stages: [{ name: "RM", count: 2, approvers: { roles: ["maintainer"] } }], waitTimerMinutes: 5 });
    expect(describeRuleChanges(OPEN_RULES, after)).toEqual(["Separation of duties turned off", "Approval stages: none -> RM (2)", "Wait timer: 0 -> 5 minutes"]);
    expect(describeRuleChanges(after, after)).toEqual([]);
  });
});

describe("freeze window settings", () => {
  it("accept a one-off range and a recurring cron with a time zone", () => {
    expect(freezeWindowSchema.parse({ kind: "once", name: "Holidays", startsAt: "2026-12-20T00:00:00Z", endsAt: "2027-01-02T00:00:00Z" })).toMatchObject({ mode: "wait" });
    expect(freezeWindowSchema.parse({ kind: "recurring", name: "Weekend", cron: "0 18 * * FRI", timezone: "Europe/Berlin", durationMinutes: 3780, mode: "refuse" })).toMatchObject({ timezone: "Europe/Berlin" });
  });

  it("say what is wrong: an end before the start, a bad cron, an unknown zone", () => {
    const once = freezeWindowSchema.safeParse({ kind: "once", name: "x", startsAt: "2026-12-20T00:00:00Z", endsAt: "2026-12-19T00:00:00Z" });
    expect(once.error!.issues.map((i) => i.message)).toEqual(["The freeze must end after it starts."]);
    const recurring = freezeWindowSchema.safeParse({ kind: "recurring", name: "x", cron: "61 * * * *", timezone: "Mars/Olympus", durationMinutes: 60 });
    expect(recurring.error!.issues.map((i) => i.message)).toEqual([
      'Invalid cron "61 * * * *": the minute field allows 0-59, got 61.',
      'Unknown time zone "Mars/Olympus"; use an IANA name such as "Europe/Berlin" or "UTC".',
    ]);
  });
});
