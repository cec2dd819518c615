import { describe, expect, it } from "vitest";
import type { Triggers } from "./model";
import { coerceInputs, filterMatches, matchTrigger, type TriggerEvent } from "./triggers";

describe("filterMatches", () => {
  it.each<[string[], string, boolean]>([
    [["main"], "main", true],
    [["main"], "maint", false],
    [["release/*"], "release/1.0", true],
    [["release/*"], "release/1.0/hotfix", false],
    [["release/**"], "release/1.0/hotfix", true],
    [["feature-?"], "feature-a", true],
    [["**"], "any/thing", true],
    [["**", "!wip/**"], "wip/x", false],
    [["**", "!wip/**", "wip/keep"], "wip/keep", true],
    [["v[0-9]*"], "v1.2.3", true],
    [["**/*.md"], ".github/README.md", true],
  ])("%j matches %s: %s", (patterns, value, expected) => {
    expect(filterMatches(patterns, value)).toBe(expected);
  });
});

describe("matchTrigger", () => {
  const on: Triggers = {
    push: { branches: ["main", "release/**", "!release/old/**"], paths: ["src/**", "!src/**/*.md"] },
    pullRequest: { branchesIgnore: ["experimental/**"], pathsIgnore: ["docs/**"] },
    manual: {
      inputs: {
        target: { type: "choice", options: ["dev", "staging"], default: "dev", required: false },
        replicas: { type: "number", required: true },
        dry: { type: "boolean", required: false },
      },
    },
    schedule: [{ cron: "0 3 * * *", timezone: "Europe/Berlin" }],
  };

  it.each<[string, TriggerEvent, { run: boolean; reason?: string }]>([
    ["a push to a listed branch", { type: "push", branch: "main" }, { run: true }],
    ["a push to a branch under a ** pattern", { type: "push", branch: "release/2/rc" }, { run: true }],
    [
      "a push to a branch excluded by a later ! pattern",
      { type: "push", branch: "release/old/1" },
      { run: false, reason: 'The branch "release/old/1" matches none of on.push.branches.' },
    ],
    [
      "a push to another branch",
      { type: "push", branch: "feature/x" },
      { run: false, reason: 'The branch "feature/x" matches none of on.push.branches.' },
    ],
    ["a push that changes a matching file", { type: "push", branch: "main", changedFiles: ["README.md", "src/a.ts"] }, { run: true }],
    [
      "a push that changes only files outside paths",
      { type: "push", branch: "main", changedFiles: ["README.md", "src/notes.md"] },
      { run: false, reason: "None of the 2 changed files match on.push.paths." },
    ],
    [
      "a tag push when only branches are listed",
      { type: "push", tag: "v1.0.0" },
      { run: false, reason: 'Tag "v1.0.0" was pushed, but on.push only lists branches.' },
    ],
    ["a pull request into an allowed base", { type: "pull_request", baseBranch: "main", changedFiles: ["src/x"] }, { run: true }],
    [
      "a pull request into an ignored base",
      { type: "pull_request", baseBranch: "experimental/x" },
      { run: false, reason: 'The base branch "experimental/x" matches "experimental/**" in on.pull_request.branches-ignore.' },
    ],
    [
      "a pull request that only changes ignored paths",
      { type: "pull_request", baseBranch: "main", changedFiles: ["docs/a.md", "docs/b.md"] },
      { run: false, reason: "All 2 changed files match on.pull_request.paths-ignore." },
    ],
    ["the schedule's cron firing", { type: "schedule", cron: "0 3 * * *", timezone: "Europe/Berlin" }, { run: true }],
    [
      "another cron",
      { type: "schedule", cron: "0 4 * * *" },
      { run: false, reason: 'The pipeline has no schedule with cron "0 4 * * *".' },
    ],
  ])("decides %s", (_, event, expected) => {
    expect(matchTrigger(on, event)).toMatchObject(expected);
  });

  it("runs every branch and tag when push has no ref filters, and ignores paths for tags", () => {
    const onPush: Triggers = { push: { paths: ["src/**"] } };
    expect(matchTrigger(onPush, { type: "push", branch: "anything" }).run).toBe(true);
    expect(matchTrigger(onPush, { type: "push", tag: "v1" }).run).toBe(true);
  });

  it("filters tags with tags and tags-ignore, and refuses branches when only tags are listed", () => {
    const onTags: Triggers = { push: { tags: ["v*"] } };
    expect(matchTrigger(onTags, { type: "push", tag: "v1.2" }).run).toBe(true);
    expect(matchTrigger(onTags, { type: "push", tag: "nightly" }).run).toBe(false);
    expect(matchTrigger(onTags, { type: "push", branch: "main" })).toEqual({
      run: false,
      reason: 'Branch "main" was pushed, but on.push only lists tags.',
    });
    expect(matchTrigger({ push: { tagsIgnore: ["*-rc*"] } }, { type: "push", tag: "v2-rc1" }).run).toBe(false);
  });

  it("says when the pipeline has no trigger for the event", () => {
    expect(matchTrigger({}, { type: "push", branch: "main" })).toEqual({ run: false, reason: "The pipeline has no push trigger." });
    expect(matchTrigger({}, { type: "manual" })).toEqual({ run: false, reason: "The pipeline has no manual trigger." });
  });

  it("coerces manual inputs and applies defaults", () => {
    expect(matchTrigger(on, { type: "manual", inputs: { replicas: "3", dry: "true" } })).toEqual({
      run: true,
      inputs: { target: "dev", replicas: 3, dry: true },
    });
  });

  it("gives a per-input error for a manual run", () => {
    const decision = matchTrigger(on, { type: "manual", inputs: { target: "prod", dry: "maybe", tagret: "x" } });
    expect(decision).toEqual({
      run: false,
      reason:
        'Invalid inputs: Unknown input "tagret". Did you mean "target"? Input "target" must be one of dev, staging, got "prod". Input "replicas" is required. Input "dry" must be true or false, got "maybe".',
      inputErrors: {
        tagret: 'Unknown input "tagret". Did you mean "target"?',
        target: 'Input "target" must be one of dev, staging, got "prod".',
        replicas: 'Input "replicas" is required.',
        dry: 'Input "dry" must be true or false, got "maybe".',
      },
    });
  });
});

describe("coerceInputs", () => {
  it.each<[string, unknown, unknown]>([
    ["string", 5, "5"],
    ["number", "2.5", 2.5],
    ["number", "abc", undefined],
    ["number", "Infinity", undefined],
    ["boolean", false, false],
    ["boolean", "yes", undefined],
  ])("coerces a %s input from %j to %j", (type, given, expected) => {
    const result = coerceInputs({ x: { type: type as "string", required: true } }, { x: given });
    if (expected === undefined) expect(result).toHaveProperty("errors.x");
    else expect(result).toEqual({ inputs: { x: expected } });
  });
});
