import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { addJob, connect, deleteJob, disconnect, readGraph, renameJob, setJobField, setJobSteps } from "./index";
import { changedLines, edgesOf, lostComments, reaches } from "./testing";

/**
 * Starting points with different styles: block, CRLF, flow lists, merge keys,
 * flow jobs, comments in lists, unindented lists, commented-out jobs, `|+`, empty,
 * inline steps.
 */
const STARTS = [
  "01-basic.yml",
  "04-crlf.yml",
  "05-flow-needs.yml",
  "08-anchors-merge.yml",
  "16-flow-jobs.yml",
  "21-comments-in-needs.yml",
  "22-unindented-seqs.yml",
  "23-commented-out-job.yml",
  "30-windows-runner-keep.yml",
  "33-empty-jobs.yml",
  "34-flow-steps.yml",
].map((file) => readFileSync(path.join(import.meta.dirname, "corpus", file), "utf8"));

/** Each start's graph as yaml.parse sees it, read once. */
const INITIAL = STARTS.map((text) => ({ jobs: Object.keys((parse(text) ?? {}).jobs ?? {}), edges: edgesOf(text) }));

const NAMES = ["build", "test", "lint", "x_1", "a-b", "deploy"];
const VALID_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const index = fc.nat(50);

/** Scripts as the panel's code field sends them: one line or several, YAML-looking lines included. */
const script = fc
  .tuple(fc.array(fc.constantFrom("make", "npm test", 'echo "#1"', "  indented", "", "a: b", "- dash", "# shell comment", "${{ needs.build.outputs.v }}"), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([lines, newline]) => lines.join("\n") + (newline ? "\n" : ""));
const stepData = fc.oneof(
  fc.record({ run: script }),
  fc.record({ name: fc.constantFrom("Build", "x: y", "'quoted'"), run: script }),
  fc.constant({ uses: "checkout" }),
);

const op = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("steps" as const), j: index, steps: fc.array(stepData, { maxLength: 3 }) }) },
  fc.record({ kind: fc.constant("add" as const), id: fc.constantFrom(...NAMES), deploy: fc.boolean() }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("connect" as const), s: index, t: index }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("disconnect" as const), e: index, s: index, t: index }) },
  fc.record({ kind: fc.constant("rename" as const), j: index, to: fc.constantFrom(...NAMES, "9lives", "has space") }),
  fc.record({ kind: fc.constant("delete" as const), j: index }),
  fc.record({
    kind: fc.constant("field" as const),
    j: index,
    field: fc.constantFrom("name" as const, "image" as const, "timeout-minutes" as const, "env" as const),
    clear: fc.boolean(),
  }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** `expect` only on a mismatch: thousands of passing checks stay cheap, a failing one still shows a diff. */
function same(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
}

function atMost(actual: number, limit: number): void {
  if (actual > limit) expect(actual).toBeLessThanOrEqual(limit);
}

/** The graph as this test believes it is, kept without looking at the YAML. */
interface Model {
  jobs: string[];
  edges: Set<string>;
}

function step(text: string, model: Model, action: Op): string {
  const { jobs, edges } = model;
  const pick = (i: number) => jobs[i % jobs.length];
  if (action.kind === "add") {
    let id = action.id;
    for (let n = 2; jobs.includes(id); n++) id = `${action.id}-${n}`;
    const result = addJob(text, { id: action.id, kind: action.deploy ? "deploy" : "job" });
    same(result.ok && result.id, id);
    jobs.push(id);
    return result.ok ? result.text : text;
  }
  if (jobs.length === 0) return text;
  if (action.kind === "connect" || (action.kind === "disconnect" && edges.size === 0)) {
    const [source, target] = [pick(action.s), pick(action.t)];
    const wanted = action.kind === "connect" && source !== target && !edges.has(`${source}>${target}`) && !reaches([...edges], target, source);
    const result = action.kind === "connect" ? connect(text, source, target) : disconnect(text, source, target);
    same(result.ok, wanted);
    if (!result.ok) return text;
    atMost(changedLines(text, result.text), 3);
    edges.add(`${source}>${target}`);
    return result.text;
  }
  if (action.kind === "disconnect") {
    const edge = [...edges][action.e % edges.size];
    const [source, target] = edge.split(">");
    const result = disconnect(text, source, target);
    if (!result.ok) throw new Error(result.error.message);
    atMost(changedLines(text, result.text), 3);
    edges.delete(edge);
    return result.text;
  }
  const id = pick(action.j);
  if (action.kind === "steps") {
    // Any script goes in, inline steps (`steps: [{ run: x }]`) included, and nothing else changes.
    const result = setJobSteps(text, id, action.steps);
    if (!result.ok) throw new Error(`${result.error.message}\n${text}`);
    const [before, after] = [parse(text, { merge: true }).jobs, parse(result.text, { merge: true }).jobs];
    same(after[id].steps, action.steps);
    for (const other of jobs) if (other !== id) same(after[other], before[other]);
    same(lostComments(text, result.text), []);
    return result.text;
  }
  if (action.kind === "rename") {
    const result = renameJob(text, id, action.to);
    same(result.ok, action.to === id || (VALID_ID.test(action.to) && !jobs.includes(action.to)));
    if (!result.ok) return text;
    jobs[jobs.indexOf(id)] = action.to;
    for (const edge of [...edges]) {
      const [source, target] = edge.split(">").map((end) => (end === id ? action.to : end));
      edges.delete(edge);
      edges.add(`${source}>${target}`);
    }
    return result.text;
  }
  if (action.kind === "delete") {
    const result = deleteJob(text, id);
    if (!result.ok) throw new Error(result.error.message);
    const dependents = [...edges].filter((edge) => edge.startsWith(`${id}>`)).map((edge) => edge.split(">")[1]);
    same(result.dependents.sort(), dependents.sort());
    jobs.splice(jobs.indexOf(id), 1);
    for (const edge of [...edges]) if (edge.split(">").includes(id)) edges.delete(edge);
    return result.text;
  }
  const values = { name: "Changed", image: "alpine:3", "timeout-minutes": 7, env: { FROM_PANEL: "1" } };
  const result = setJobField(text, id, action.field, action.clear ? undefined : values[action.field]);
  // Clearing a field a merge key (`<<`) provides is refused; everything else goes through.
  if (!result.ok) {
    same(action.clear, true);
    return text;
  }
  return result.text;
}

it("keeps the graph read from the YAML equal to an independent model over 1,000 random edit sequences, scripts of several lines included", () => {
  fc.assert(
    fc.property(fc.nat(STARTS.length - 1), fc.array(op, { minLength: 1, maxLength: 5 }), (start, actions) => {
      let text = STARTS[start];
      const model: Model = { jobs: [...INITIAL[start].jobs], edges: new Set(INITIAL[start].edges) };
      for (const action of actions) {
        text = step(text, model, action);
        // readGraph parses with yaml and fails on any YAML error, so this also checks the text parses.
        const read = readGraph(text);
        if (!read.ok) throw new Error(`${read.error.message} at ${read.error.line}:${read.error.column}\n${text}`);
        same(read.graph.jobs.map((job) => job.id), model.jobs);
        same(read.graph.edges.map((edge) => `${edge.source}>${edge.target}`).sort(), [...model.edges].sort());
      }
      expect(parse(text)).toBeTypeOf("object");
    }),
    { numRuns: 1000 },
  );
});
