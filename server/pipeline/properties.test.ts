import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExpressionSyntaxError, interpolate, parseExpression } from "./expressions";
import { expandMatrix } from "./matrix";
import { parsePipeline } from "./parse";
import { planPipeline } from "./plan";
import { parseOk } from "./test-utils";

const yamlish = fc
  .array(fc.constantFrom("on: push\n", "jobs:\n", "  a:\n", "    steps:\n", "      - run: x\n", "- ", "[", "]", "{", "}", ": ", "&a ", "*a ", "${{ ", " }}", "'", '"', "\n", "  ", "needs: a\n", "<<: *a\n", "#"), { maxLength: 40 })
  .map((parts) => parts.join(""));

describe("properties", () => {
  it("parsePipeline never throws and always points inside the text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish), (text) => {
        const result = parsePipeline(text);
        const lines = text.split("\n").length;
        for (const d of result.ok ? result.warnings : result.errors) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.line).toBeLessThanOrEqual(lines);
          expect(d.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("parseExpression either parses or throws ExpressionSyntaxError", () => {
    const tokens = fc.constantFrom("a", ".", "b", "(", ")", "[", "]", "'x'", "1", "==", "!", "&&", "||", ",", "*", "contains(", " ", "'");
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(tokens).map((t) => t.join(""))), (source) => {
        try {
          parseExpression(source);
        } catch (error) {
          expect(error).toBeInstanceOf(ExpressionSyntaxError);
        }
      }),
    );
  });

  it("interpolate leaves text without ${{ unchanged", () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes("${{")), (text) => {
        expect(interpolate(text, {})).toBe(text);
      }),
    );
  });

  it("a matrix without include or exclude has the product of its axis lengths", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), (lengths) => {
        const axes = Object.fromEntries(lengths.map((n, i) => [`k${i}`, Array.from({ length: n }, (_, j) => j)]));
        expect(expandMatrix({ axes, include: [], exclude: [] })).toHaveLength(lengths.reduce((a, b) => a * b, 1));
      }),
    );
  });

  it("plans every job after all of its needs, at a later stage", () => {
    // Job i may only need jobs before it in a random order, so the graph has no cycle.
    const dag = fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc.tuple(
        fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
        fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
      ),
    );
    fc.assert(
      fc.property(dag, ([order, picks]) => {
        const lines = order.map((id, position) => {
          const needs = [...new Set(picks[position].filter(() => position > 0).map((p) => order[p % position]))];
          return `  j${id}: { needs: [${needs.map((n) => `j${n}`).join(", ")}], steps: [{ run: x }] }`;
        });
        const plan = planPipeline(parseOk(`on: push\njobs:\n${lines.join("\n")}\n`));
        const at = new Map(plan.jobs.map((job, index) => [job.key, index]));
        for (const job of plan.jobs) {
          for (const need of job.needs) {
            expect(at.get(need)).toBeLessThan(at.get(job.key)!);
            expect(plan.jobs[at.get(need)!].stage).toBeLessThan(job.stage);
          }
        }
      }),
    );
  });
});
