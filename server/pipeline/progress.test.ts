import { describe, expect, it } from "vitest";
import { nextTransitions, runOutcome, type JobState } from "./progress";

const job = (key: string, status: JobState["status"], needs: string[] = []): JobState => ({ key, jobId: key, status, needs, outputs: {} });
const ctx = (jobs: Record<string, { if?: string; continueOnError?: boolean }> = {}, cancelRequested = false) => ({
  jobs: Object.fromEntries(Object.entries(jobs).map(([k, v]) => [k, { continueOnError: false, ...v }])),
  cancelRequested,
  expressionContext: { run: { branch: "main" } },
});

describe("nextTransitions", () => {
  it("queues a job once every job it needs succeeded, and not before", () => {
    const diamond = [job("a", "succeeded"), job("b", "running", ["a"]), job("c", "succeeded", ["a"]), job("d", "pending", ["b", "c"])];
    expect(nextTransitions(diamond, ctx())).toEqual([]);
    diamond[1].status = "succeeded";
    expect(nextTransitions(diamond, ctx())).toEqual([{ key: "d", to: "queued" }]);
  });

  it("skips dependents when a job fails, naming the failed job", () => {
    const states = [job("build", "failed"), job("deploy", "pending", ["build"])];
    expect(nextTransitions(states, ctx())).toEqual([{ key: "deploy", to: "skipped", reason: "Skipped because build failed." }]);
  });

  it("runs a dependent whose if asks for failure() or always()", () => {
    const states = [job("build", "failed"), job("notify", "pending", ["build"]), job("cleanup", "pending", ["build"])];
    expect(nextTransitions(states, ctx({ notify: { if: "failure()" }, cleanup: { if: "${{ always() }}" } }))).toEqual([
      { key: "notify", to: "queued" },
      { key: "cleanup", to: "queued" },
    ]);
  });

  it("treats a failed continue-on-error job as no failure for its dependents", () => {
    const states = [job("lint", "failed"), job("build", "pending", ["lint"])];
    expect(nextTransitions(states, ctx({ lint: { continueOnError: true } }))).toEqual([{ key: "build", to: "queued" }]);
  });

  it("skips the whole chain below a skipped job", () => {
    const states = [job("a", "skipped"), job("b", "pending", ["a"])];
    expect(nextTransitions(states, ctx())[0]).toMatchObject({ key: "b", to: "skipped" });
  });

  it("evaluates if: against the run and needs contexts", () => {
    const states = [job("a", "succeeded"), job("b", "pending", ["a"]), job("c", "pending", ["a"])];
    const result = nextTransitions(states, ctx({ b: { if: "run.branch == 'main'" }, c: { if: "needs.a.result == 'failure'" } }));
    expect(result).toEqual([
      { key: "b", to: "queued" },
      { key: "c", to: "skipped", reason: "Skipped because its condition was false: if: needs.a.result == 'failure'" },
    ]);
  });

  it("cancels pending jobs of a cancelled run unless they run always()", () => {
    const states = [job("a", "cancelled"), job("b", "pending", ["a"]), job("c", "pending", ["a"])];
    expect(nextTransitions(states, ctx({ c: { if: "always()" } }, true))).toEqual([
      { key: "b", to: "cancelled", reason: "The run was cancelled." },
      { key: "c", to: "queued" },
    ]);
  });
});

describe("runOutcome", () => {
  it.each([
    [["succeeded", "succeeded"], "succeeded"],
    [["succeeded", "running"], "running"],
    [["failed", "skipped"], "failed"],
    [["succeeded", "cancelled"], "cancelled"],
    [["succeeded", "skipped"], "succeeded"],
  ] as const)("is %j -> %s", (statuses, outcome) => {
    expect(runOutcome(statuses.map((s, i) => job(`j${i}`, s)), ctx())).toBe(outcome);
  });

  it("succeeds when only a continue-on-error job failed", () => {
    expect(runOutcome([job("lint", "failed"), job("build", "succeeded")], ctx({ lint: { continueOnError: true } }))).toBe("succeeded");
  });
});
