import { describe, expect, it } from "vitest";
import { parsePipeline } from "./parse";
import { errorsOf, yaml } from "./test-utils";

/** The classic "billion laughs": each level refers to the previous one ten times. */
function aliasBomb(levels: number): string {
  let text = "on: push\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (let i = 1; i <= levels; i++) {
    text += `x${i}: &x${i} [${Array(10).fill(`*x${i - 1}`).join(", ")}]\n`;
  }
  return `${text}jobs:\n  a:\n    env: { BOOM: *x${levels} }\n    steps: [{ run: x }]\n`;
}

describe("parsePipeline refuses hostile documents safely", () => {
  it("refuses an alias bomb", () => {
    const errors = errorsOf(aliasBomb(9));
    expect(errors).toEqual(["1:1 The pipeline expands YAML aliases (*name) too many times; the limit is 5000."]);
  });

  it("accepts 500 jobs sharing defaults through a merge key", () => {
    const jobs = Array.from({ length: 500 }, (_, i) => `  j${i}:\n    <<: *defaults\n    env: *env\n`).join("");
    const text = `on: push\nx-defaults: &defaults\n  image: node:20\n  env: &env { A: 1 }\n  steps: [{ run: x, env: *env }]\njobs:\n${jobs}`;
    const result = parsePipeline(text);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.pipeline.jobs.j499).toMatchObject({ image: "node:20", env: { A: "1" }, steps: [{ run: "x" }] });
  });

  it("refuses aliases of a large anchor that together expand past 100000 values", () => {
    const text = `on: push\nx-big: &big [${Array(4000).fill("1").join(",")}]\nx-copies: [${Array(30).fill("*big").join(", ")}]\n`;
    expect(errorsOf(text)).toEqual(["3:156 YAML aliases (*name) expand to more than 100000 values."]);
  });

  it("refuses more than 2000 anchors and aliases, which yaml resolves in quadratic time", () => {
    const text = `on: push\nx-a: &a x\nx-many: [${Array(2000).fill("*a").join(", ")}]\njobs: { a: { steps: [{ run: x }] } }\n`;
    expect(errorsOf(text)).toEqual(["1:1 The pipeline has 2001 YAML anchors and aliases; the limit is 2000."]);
  });

  it("refuses a document over 1 MB before parsing it", () => {
    const text = `on: push\n# ${"x".repeat(1024 * 1024)}\njobs: {}\n`;
    expect(errorsOf(text)).toEqual([`1:1 The pipeline file is ${text.length} bytes; the limit is 1048576 bytes (1 MB).`]);
  });

  it("counts bytes, not characters, against the size limit", () => {
    const text = `on: push\n# ${"é".repeat(600 * 1024)}\n`;
    expect(errorsOf(text)[0]).toMatch(/^1:1 The pipeline file is \d+ bytes/);
  });

  it("refuses nesting deeper than 64 levels", () => {
    const text = `on: push\njobs:\n  a:\n    steps: [{ run: x }]\n    env: ${"[".repeat(100)}${"]".repeat(100)}\n`;
    expect(errorsOf(text)[0]).toMatch(/nests deeper than 64 levels/);
  });

  it.each([
    ["flow collections", `${"[".repeat(50_000)}${"]".repeat(50_000)}`, "1:65"],
    ["compact block sequences", `${"- ".repeat(50_000)}x`, "1:129"],
    ["indentation", Array.from({ length: 1000 }, (_, i) => `${" ".repeat(i)}k:`).join("\n"), "65:65"],
  ])("refuses pathological nesting of %s without overflowing the stack", (_, text, at) => {
    expect(errorsOf(text)).toEqual([`${at} The pipeline nests deeper than 64 levels.`]);
  });

  it("refuses an alias that contains itself", () => {
    expect(errorsOf("on: push\njobs: &j\n  a: *j\n")[0]).toMatch(/nests deeper than 64 levels|aliases/);
  });

  it("refuses more than 500 jobs", () => {
    const jobs = Array.from({ length: 501 }, (_, i) => `  j${i}: { steps: [{ run: x }] }`).join("\n");
    expect(errorsOf(`on: push\njobs:\n${jobs}\n`)).toEqual(["2:1 The pipeline has 501 jobs; the limit is 500."]);
  });

  it("accepts exactly 500 jobs", () => {
    const jobs = Array.from({ length: 500 }, (_, i) => `  j${i}: { steps: [{ run: x }] }`).join("\n");
    expect(parsePipeline(`on: push\njobs:\n${jobs}\n`).ok).toBe(true);
  });

  it("refuses a huge matrix without expanding it", () => {
    const axis = `[${Array.from({ length: 100 }, (_, i) => i).join(", ")}]`;
    const errors = errorsOf(yaml`
      on: push
      jobs:
        t:
          strategy:
            matrix: { a: ${axis}, b: ${axis}, c: ${axis}, d: ${axis} }
          steps: [{ run: x }]
    `);
    expect(errors).toEqual([
      '5:7 The matrix of job "t" would expand to 100000000 combinations (before exclude); the limit is 256.',
    ]);
  });

  it("refuses the key __proto__", () => {
    expect(errorsOf('on: push\nenv: { "__proto__": x }\njobs: { a: { steps: [{ run: x }] } }\n')).toEqual([
      '2:8 The key "__proto__" is not allowed.',
    ]);
  });

  it("refuses an empty file and a file that is not a mapping", () => {
    expect(errorsOf("")).toEqual(["1:1 The pipeline file is empty."]);
    expect(errorsOf("- a\n- b\n")).toEqual(["1:1 The pipeline file must be a mapping of keys to values, got a list."]);
  });

  it("refuses more than one YAML document", () => {
    expect(errorsOf("on: push\n---\njobs: {}\n")[0]).toBe('2:1 A pipeline file holds one YAML document; remove the "---" separator.');
  });
});
