import { describe, expect, it } from "vitest";
import { approvalProgress, describeApprovers, describeProgress, isEligible, mayDecide, separationConflict, type Decision, type Person, type SeparationFacts } from "./approvals";
import { protectionRulesSchema, type ApprovalStage } from "./rules";

const person = (id: string, overrides: Partial<Person> = {}): Person => ({ id, email: `${id}@example.test`, role: "developer", groups: [], ...overrides });
const approved = (userId: string, stageIndex: number): Decision => ({ userId, label: userId, decision: "approved", stageIndex, comment: "", at: new Date(0) });
const rejected = (userId: string, stageIndex: number, comment = ""): Decision => ({ userId, label: userId, decision: "rejected", stageIndex, comment, at: new Date(0) });
const nobody: SeparationFacts = { triggeredBy: null, requestedBy: null, authors: [] };

const U1 = "00000000-0000-4000-8000-000000000001";
const stagesOf = (raw: unknown[]): ApprovalStage[] => protectionRulesSchema.parse({ stages: raw }).stages;
// QA lead (named person or the qa group), then two release managers (maintainers or above).
const stages = stagesOf([
  { name: "QA lead", count: 1, approvers: { users: [U1], groups: ["qa"] } },
  { name: "Release manager", count: 2, approvers: { roles: ["maintainer"] } },
]);

describe("who is eligible", () => {
  it("is a named person, anyone with at least the role, or a member of a group", () => {
    const approvers = stages[0].approvers;
    expect(isEligible(person(U1, { role: null }), approvers)).toBe(true);
    expect(isEligible(person("q", { groups: ["qa"] }), approvers)).toBe(true);
    expect(isEligible(person("d"), approvers)).toBe(false);
    const rm = stages[1].approvers;
    expect(["viewer", "developer", "maintainer", "admin", null].map((role) => isEligible(person("p", { role: role as Person["role"] }), rm))).toEqual([false, false, true, true, false]);
  });
});

describe("separation of duties", () => {
  it("excludes the run's triggerer, the requester and commit authors (emails in any case)", () => {
    const p = person("me", { email: "Me@Example.test" });
    expect(separationConflict(p, { ...nobody, triggeredBy: "me" })).toMatch(/You triggered the run/);
    expect(separationConflict(p, { ...nobody, requestedBy: "me" })).toMatch(/You asked for this deployment/);
    expect(separationConflict(p, { ...nobody, authors: ["other@example.test", "me@example.TEST"] })).toMatch(/You authored a commit in this change set/);
    expect(separationConflict(p, { triggeredBy: "x", requestedBy: "y", authors: ["other@example.test"] })).toBeNull();
  });

  it("is enforced only when the environment has it on", () => {
    const me = person("me", { role: "admin" });
    const facts = { ...nobody, authors: ["me@example.test"] };
    const rmOnly = stagesOf([{ name: "RM", count: 1, approvers: { roles: ["maintainer"] } }]);
    expect(mayDecide(me, { stages: rmOnly, decisions: [], separation: facts, separationOfDuties: true })).toEqual({ ok: false, reason: expect.stringMatching(/authored a commit/) });
    expect(mayDecide(me, { stages: rmOnly, decisions: [], separation: facts, separationOfDuties: false })).toMatchObject({ ok: true, stageIndex: 0 });
  });
});

describe("stages in order", () => {
  it("count approvals in the stage they were given, moving on when a stage has its count", () => {
    expect(approvalProgress(stages, [])).toMatchObject({ state: "pending", stageIndex: 0, remaining: 1 });
    expect(approvalProgress(stages, [approved("q", 0)])).toMatchObject({ state: "pending", stageIndex: 1, remaining: 2, approvals: [] });
    expect(approvalProgress(stages, [approved("q", 0), approved("m1", 1)])).toMatchObject({ state: "pending", stageIndex: 1, remaining: 1 });
    expect(approvalProgress(stages, [approved("q", 0), approved("m1", 1), approved("m2", 1)])).toMatchObject({ state: "approved" });
    // An approval recorded in stage 2 never fills stage 1.
    expect(approvalProgress(stages, [approved("m1", 1), approved("m2", 1)])).toMatchObject({ state: "pending", stageIndex: 0 });
  });

  it("is approved at once with no stages, and rejected by any rejection", () => {
    expect(approvalProgress([], [])).toEqual({ state: "approved", approvals: [] });
    expect(approvalProgress(stages, [approved("q", 0), rejected("m1", 1, "not today")])).toMatchObject({ state: "rejected", rejection: { userId: "m1" } });
    expect(describeProgress(approvalProgress(stages, [rejected("m1", 1, "not today")]), 2)).toBe("Rejected by m1: not today");
  });

  it("describes where it waits", () => {
    expect(describeProgress(approvalProgress(stages, [approved("q", 0)]), 2)).toBe("Waiting for approval (stage 2 of 2, Release manager: 2 more of 2)");
    expect(describeProgress(approvalProgress(stagesOf([{ name: "RM", count: 1, approvers: { roles: ["admin"] } }]), []), 1)).toBe("Waiting for approval (RM: 1 more of 1)");
  });

  it("refuses a later stage's approver until the stages before it are done, saying so", () => {
    const maintainer = person("m1", { role: "maintainer" });
    expect(mayDecide(maintainer, { stages, decisions: [], separation: nobody, separationOfDuties: true })).toEqual({
      ok: false,
      reason: "This request is in stage 1 (QA lead); you approve in stage 2 (Release manager), after it.",
    });
    expect(mayDecide(maintainer, { stages, decisions: [approved("q", 0)], separation: nobody, separationOfDuties: true })).toMatchObject({ ok: true, stageIndex: 1 });
  });

  it("refuses a second decision by the same person, even in a later stage they are eligible for", () => {
    const both = person("b", { role: "maintainer", groups: ["qa"] });
    const decisions = [approved("b", 0)];
    expect(mayDecide(both, { stages, decisions, separation: nobody, separationOfDuties: true })).toEqual({ ok: false, reason: "You already decided on this request; one decision per person." });
  });

  it("refuses anyone once the request is decided, and outsiders always", () => {
    const m = person("m3", { role: "maintainer" });
    const done = [approved("q", 0), approved("m1", 1), approved("m2", 1)];
    expect(mayDecide(m, { stages, decisions: done, separation: nobody, separationOfDuties: true })).toEqual({ ok: false, reason: "This request is already approved." });
    expect(mayDecide(m, { stages, decisions: [rejected("q", 0)], separation: nobody, separationOfDuties: true })).toEqual({ ok: false, reason: "This request was already rejected by q." });
    expect(mayDecide(person("v", { role: "viewer" }), { stages, decisions: [approved("q", 0)], separation: nobody, separationOfDuties: true })).toEqual({
      ok: false,
      reason: "You are not an approver of stage 2 (Release manager).",
    });
  });
});

describe("who approves, in words", () => {
  it("names people, roles and groups", () => {
    const name = (id: string) => (id === U1 ? "Quinn" : "someone");
    expect(describeApprovers(stages[0].approvers, name)).toBe("Quinn or a member of qa");
    expect(describeApprovers(stages[1].approvers, name)).toBe("a maintainer or admin");
    expect(describeApprovers(stagesOf([{ name: "All", count: 1, approvers: { users: [U1], roles: ["developer"], groups: ["qa"] } }])[0].approvers, name)).toBe("Quinn, a developer or above or a member of qa");
  });
});
