import { describe, expect, it } from "vitest";
import {
  evaluate,
  evaluateCondition,
  evaluateTemplate,
  ExpressionError,
  ExpressionSyntaxError,
  findExpressions,
  interpolate,
  parseExpression,
  type ExpressionContext,
} from "./expressions";

const context: ExpressionContext = {
  run: { branch: "main", event: "push", number: 42 },
  inputs: { name: "World", count: 3, dry: false },
  env: { NODE_ENV: "test", EMPTY: "" },
  secrets: { TOKEN: "s3cr3t" },
  needs: {
    build: { result: "success", outputs: { image: "app:1" } },
    "lint-js": { result: "failure", outputs: {} },
  },
  matrix: { node: 18, os: "linux" },
  steps: { tag: { outputs: { value: "v1" }, outcome: "success" } },
};

describe("evaluate", () => {
  it.each<[string, unknown]>([
    ["'it''s'", "it's"],
    ["42", 42],
    ["-1.5", -1.5],
    ["0xff", 255],
    ["1e3", 1000],
    ["true", true],
    ["FALSE", false],
    ["null", null],
    ["run.branch", "main"],
    ["inputs.name", "World"],
    ["env.NODE_ENV", "test"],
    ["env.node_env", "test"],
    ["secrets.TOKEN", "s3cr3t"],
    ["needs.build.result", "success"],
    ["needs.build.outputs.image", "app:1"],
    ["needs.lint-js.result", "failure"],
    ["matrix.node", 18],
    ["matrix['os']", "linux"],
    ["steps.tag.outputs.value", "v1"],
    ["needs.missing.result", null],
    ["nope", null],
    ["needs.*.result", ["success", "failure"]],
    ["fromJSON('[10, 20]')[1]", 20],
    ["run.branch == 'MAIN'", true],
    ["run.branch != 'main'", false],
    ["matrix.node == '18'", true],
    ["matrix.node >= 18 && matrix.node < 20", true],
    ["'b' > 'A'", true],
    ["null == 0", true],
    ["true == 1", true],
    ["'abc' == 1", false],
    ["'abc' < 1", false],
    ["!inputs.dry", true],
    ["!!env.EMPTY", false],
    ["env.EMPTY || 'fallback'", "fallback"],
    ["inputs.name && inputs.count", 3],
    ["(1 == 1 || false) && !(2 < 1)", true],
    ["contains('Hello World', 'world')", true],
    ["contains(fromJSON('[\"a\", \"b\"]'), 'B')", true],
    ["contains(needs.*.result, 'failure')", true],
    ["startsWith(run.branch, 'ma')", true],
    ["endsWith('file.TXT', '.txt')", true],
    ["format('{0}-{1} {{literal}}', 'a', 2)", "a-2 {literal}"],
    ["join(fromJSON('[1, 2, 3]'), '+')", "1+2+3"],
    ["join(fromJSON('[1, 2]'))", "1,2"],
    ["toJSON(matrix)", '{\n  "node": 18,\n  "os": "linux"\n}'],
    ["fromJSON('{\"a\": {\"b\": true}}').a.b", true],
    ["always()", true],
  ])("%s evaluates to %j", (source, expected) => {
    expect(evaluate(source, context)).toEqual(expected);
  });

  it("calls the caller's hashFiles hook with the patterns", () => {
    const seen: string[][] = [];
    const value = evaluate("hashFiles('package.json', '**/*.lock')", {
      functions: { hashFiles: (...patterns) => (seen.push(patterns), "abc123") },
    });
    expect(value).toBe("abc123");
    expect(seen).toEqual([["package.json", "**/*.lock"]]);
  });

  it.each([
    ["hashFiles('x')", /hashFiles\(\) is only available/],
    ["fromJSON('{oops')", /fromJSON\(\): not valid JSON/],
    ["format('{1}', 'a')", /refers to an argument that was not given/],
  ])("throws an ExpressionError for %s", (source, message) => {
    expect(() => evaluate(source, {})).toThrow(ExpressionError);
    expect(() => evaluate(source, {})).toThrow(message);
  });
});

describe("parseExpression", () => {
  it.each([
    ["", "the expression is empty", 0],
    ["a ==", "expected a value at the end of the expression", 4],
    ["a = b", 'unexpected character "="', 2],
    ['a == "b"', 'unexpected character """ (strings use single quotes)', 5],
    ["'open", "this string is missing its closing quote (')", 0],
    ["(a", 'expected ")" to close the parenthesis, found end of expression', 2],
    ["a b", 'unexpected "b" after a complete expression', 2],
    ["eval('x')", "unknown function \"eval\" (available: contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles, success, failure, always, cancelled)", 0],
    ["contains('a')", "contains() takes 2 arguments, got 1", 0],
    ["success(1)", "success() takes 0 arguments, got 1", 0],
    ["a.", "expected a property name after \".\", found end of expression", 2],
    ["a[1", 'expected "]" to close the index, found end of expression', 3],
    [`${"(".repeat(60)}1${")".repeat(60)}`, "the expression nests deeper than 50 levels", 51],
    ["x".repeat(5000), "the expression is longer than 4096 characters", 0],
  ])("refuses %j: %s", (source, message, at) => {
    let error: unknown;
    try {
      parseExpression(source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionSyntaxError);
    expect(error).toMatchObject({ message, at });
  });

  it("accepts function names in any case, as GitHub does", () => {
    expect(evaluate("STARTSWITH('abc', 'a')", {})).toBe(true);
  });
});

describe("findExpressions", () => {
  it("finds each ${{ }} and ignores }} inside strings", () => {
    const text = "a ${{ 'x}}y' }} b ${{ run.branch }}";
    expect(findExpressions(text).map((f) => text.slice(f.start, f.end))).toEqual(["${{ 'x}}y' }}", "${{ run.branch }}"]);
  });

  it("reports an unclosed ${{ at its offset", () => {
    expect(() => findExpressions("ok ${{ a")).toThrow(expect.objectContaining({ at: 3 }));
  });
});

describe("interpolate", () => {
  it.each([
    ["Hello ${{ inputs.name }}!", "Hello World!"],
    ["no expressions", "no expressions"],
    ["${{ matrix.node }}-${{ matrix.os }}", "18-linux"],
    ["[${{ env.MISSING }}]", "[]"],
    ["${{ inputs.dry }}", "false"],
    ["${{ matrix }}", "Object"],
    ["${{ needs.*.result }}", "Array"],
  ])("%s -> %s", (template, expected) => {
    expect(interpolate(template, context)).toBe(expected);
  });
});

describe("evaluateTemplate", () => {
  it("keeps the type of a template that is one expression", () => {
    expect(evaluateTemplate(" ${{ inputs.count }} ", context)).toBe(3);
    expect(evaluateTemplate("n=${{ inputs.count }}", context)).toBe("n=3");
  });
});

describe("evaluateCondition", () => {
  const ok = { ...context, status: {} };
  const failed = { ...context, status: { failed: true } };
  const cancelled = { ...context, status: { cancelled: true } };

  it.each<[string | undefined, ExpressionContext, boolean]>([
    [undefined, ok, true],
    [undefined, failed, false],
    ["", cancelled, false],
    ["run.branch == 'main'", ok, true],
    ["${{ run.branch == 'main' }}", ok, true],
    ["run.branch == 'main'", failed, false],
    ["failure()", failed, true],
    ["failure()", ok, false],
    ["always()", cancelled, true],
    ["cancelled()", cancelled, true],
    ["success() || failure()", failed, true],
    ["always() && run.branch == 'dev'", failed, false],
    ["${{ inputs.dry }}", ok, false],
    ["true", failed, false],
    ["branch is ${{ run.branch }}", ok, true],
  ])("%j with status %j is %s", (condition, ctx, expected) => {
    expect(evaluateCondition(condition, ctx)).toBe(expected);
  });
});
