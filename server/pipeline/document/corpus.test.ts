import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { addJob, connect, deleteJob, disconnect, openPipeline, readGraph, renameJob, setJobField, setJobSteps } from "./index";
import { changedLines, edgesOf, jobRegion, lostComments, needsOf, plainOf, reaches, withoutNeeds, type Plain } from "./testing";

const dir = path.join(import.meta.dirname, "corpus");
const files = readdirSync(dir).filter((file) => file.endsWith(".yml")).sort();

function ok<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(JSON.stringify(result));
  return result as Extract<T, { ok: true }>;
}

/** What each test starts from: the file, grown to two connected jobs when it has fewer. */
function workable(original: string): string {
  let text = original;
  for (const id of ["extra_a", "extra_b"]) if (Object.keys(plainOf(text).jobs ?? {}).length < 2) text = ok(addJob(text, { id, kind: "job" })).text;
  if (edgesOf(text).length === 0) {
    const [a, b] = Object.keys(plainOf(text).jobs);
    text = ok(connect(text, a, b)).text;
  }
  return text;
}

/** `${{ needs.old.x }}` -> `${{ needs.new.x }}` in every string, as a person would expect of a rename. */
function renameInStrings(value: unknown, oldId: string, newId: string): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{\{[\s\S]*?\}\}/g, (e) => e.split(`needs.${oldId}.`).join(`needs.${newId}.`));
  }
  if (Array.isArray(value)) return value.map((item) => renameInStrings(item, oldId, newId));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameInStrings(v, oldId, newId)]));
  }
  return value;
}

it("has at least 30 pipelines", () => {
  expect(files.length).toBeGreaterThanOrEqual(30);
});

describe.each(files)("%s", (file) => {
  const original = readFileSync(path.join(dir, file), "utf8");
  const text = workable(original);
  const before = plainOf(text);
  const ids = Object.keys(before.jobs);
  const edges = edgesOf(text);
  // A job shared whole through an anchor (`smoke-us: *smoke`) is copied out on its first edit, so more lines change.
  const aliasJobs = ids.filter((id) => new RegExp(`^\\s*["']?${id}["']?:\\s*[*&]`, "m").test(text));
  // A job defining anchors hands a copy to their aliases when it changes them.
  const anchored = (id: string) => text.slice(...jobRegion(text, id)).includes("&");

  it("reads the graph yaml.parse sees", () => {
    const graph = ok(readGraph(original)).graph;
    expect(graph.jobs.map((job) => job.id)).toEqual(Object.keys(plainOf(original).jobs ?? {}));
    expect(graph.edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual(edgesOf(original));
    for (const job of graph.jobs) expect(original.split("\n")[job.line - 1]).toContain(job.id);
  });

  it("returns the text byte for byte when nothing changes", () => {
    const id = ids[0];
    expect(ok(renameJob(text, id, id)).text).toBe(text);
    if (typeof before.jobs[id]?.name === "string") expect(ok(setJobField(text, id, "name", before.jobs[id].name)).text).toBe(text);
    for (const job of ids) {
      const steps = before.jobs[job]?.steps;
      if (Array.isArray(steps)) expect(ok(setJobSteps(text, job, steps)).text).toBe(text);
    }
    // Connecting and disconnecting again restores every byte (a one-id `needs: a` included).
    for (const target of ids) {
      for (const source of ids) {
        if (source === target || edges.includes(`${source}>${target}`) || reaches(edges, target, source)) continue;
        if (aliasJobs.includes(target)) continue;
        const session = openPipeline(text);
        ok(session.connect(source, target));
        ok(session.disconnect(source, target));
        expect(session.text).toBe(text);
      }
    }
  });

  it("adds a job at the end, changing nothing else", () => {
    const added = ok(addJob(text, { id: ids[0], kind: "deploy" }));
    expect(added.id).toBe(`${ids[0]}-2`);
    const after = plainOf(added.text);
    expect(Object.keys(after.jobs)).toEqual([...ids, added.id]);
    expect(after.jobs[added.id]).toEqual({ environment: "production", deploy: { strategy: "rolling" } });
    delete after.jobs[added.id];
    expect(after).toEqual(before);
    expect(lostComments(text, added.text)).toEqual([]);
  });

  it("connects every pair that makes no cycle, in at most 3 changed lines", () => {
    for (const target of ids) {
      for (const source of ids) {
        const result = connect(text, source, target);
        if (source === target || edges.includes(`${source}>${target}`) || reaches(edges, target, source)) {
          expect(result.ok).toBe(false);
          continue;
        }
        const after = plainOf(ok(result).text);
        expect(needsOf(after.jobs[target])).toEqual([...needsOf(before.jobs[target]), source].sort());
        expect(withoutNeeds(after, [target])).toEqual(withoutNeeds(before, [target]));
        if (!aliasJobs.includes(target)) expect(changedLines(text, ok(result).text)).toBeLessThanOrEqual(3);
        expect(lostComments(text, ok(result).text)).toEqual([]);
      }
    }
  });

  it("disconnects every edge in at most 3 changed lines", () => {
    for (const edge of edges) {
      const [source, target] = edge.split(">");
      const result = ok(disconnect(text, source, target));
      const after = plainOf(result.text);
      expect(needsOf(after.jobs[target])).toEqual(needsOf(before.jobs[target]).filter((id) => id !== source));
      expect(withoutNeeds(after, [target])).toEqual(withoutNeeds(before, [target]));
      expect(changedLines(text, result.text)).toBeLessThanOrEqual(3);
      expect(lostComments(text, result.text)).toEqual([]);
    }
  });

  it("renames every job in place, with its needs and ${{ needs.* }} references", () => {
    for (const id of ids) {
      const result = ok(renameJob(text, id, "renamed_job"));
      const after = plainOf(result.text);
      expect(Object.keys(after.jobs)).toEqual(ids.map((other) => (other === id ? "renamed_job" : other)));
      const expected: Plain = {};
      for (const other of ids) {
        const job = renameInStrings(structuredClone(before.jobs[other]), id, "renamed_job") as Plain | null;
        if (job?.needs !== undefined) job.needs = Array.isArray(job.needs) ? job.needs.map((n: string) => (n === id ? "renamed_job" : n)) : job.needs === id ? "renamed_job" : job.needs;
        expected[other === id ? "renamed_job" : other] = job;
      }
      expect(after).toEqual({ ...before, jobs: expected });
      expect(lostComments(text, result.text)).toEqual([]);
    }
  });

  it("deletes every job with the edges to it, reporting its dependents", () => {
    for (const id of ids) {
      const result = ok(deleteJob(text, id));
      const dependents = ids.filter((other) => edges.includes(`${id}>${other}`));
      expect(result.dependents.sort()).toEqual(dependents.sort());
      const after = plainOf(result.text);
      const rest = ids.filter((other) => other !== id);
      expect(Object.keys(after.jobs ?? {})).toEqual(rest);
      for (const other of rest) expect(needsOf(after.jobs[other])).toEqual(needsOf(before.jobs[other]).filter((n) => n !== id));
      const expected = withoutNeeds(before, rest);
      delete expected.jobs[id];
      expect(withoutNeeds(after, rest)).toEqual(expected);
      expect(lostComments(text, result.text, jobRegion(text, id))).toEqual([]);
    }
  });

  it("sets and removes panel fields, changing only that field", () => {
    const id = ids.find((job) => Array.isArray(before.jobs[job]?.steps)) ?? ids[0];
    const job: Plain = before.jobs[id] ?? {};
    const cases: [Parameters<typeof setJobField>[2], unknown][] = [
      ["name", "Panel name"],
      ["image", "node:22-alpine"],
      ["runs-on", ["linux", "large"]],
      ["env", { ...(job.env ?? {}), PANEL: "yes" }],
      ["if", "${{ run.branch == 'main' }}"],
      ["timeout-minutes", 42],
      ["strategy.matrix", { node: [20, 22] }],
      ["environment", { name: "staging", url: "https://staging.example.com" }],
      ["name", undefined],
      ["timeout-minutes", undefined],
    ];
    const merged = (parse(text, { merge: true }) as Plain).jobs[id] ?? {};
    for (const [field, value] of cases) {
      if (value === undefined && !(field in job) && field in merged) {
        expect(setJobField(text, id, field, value).ok).toBe(false); // inherited through `<<`: nothing to remove here
        continue;
      }
      const result = ok(setJobField(text, id, field, value));
      const after = plainOf(result.text);
      const expected = structuredClone(before);
      const target = (expected.jobs[id] ??= {});
      if (field === "strategy.matrix") target.strategy = { ...(target.strategy ?? {}), matrix: value };
      else if (value === undefined) delete target[field];
      else target[field] = value;
      expect(after).toEqual(expected);
      expect(lostComments(text, result.text)).toEqual([]);
      if ((typeof value === "string" || typeof value === "number") && !anchored(id) && !aliasJobs.includes(id)) {
        expect(changedLines(text, result.text)).toBeLessThanOrEqual(2);
      }
    }
  });

  it("edits steps: appends one and changes a script", () => {
    for (const id of ids.filter((job) => Array.isArray(before.jobs[job]?.steps))) {
      const steps: Plain[] = before.jobs[id].steps;
      const appended = [...steps, { name: "Upload", uses: "upload-artifact", with: { name: "dist", paths: ["dist/"] } }];
      const changed = steps.map((step, i) => (i === 0 && typeof step.run === "string" ? { ...step, run: `${step.run.trimEnd()}\necho more\n` } : step));
      for (const next of [appended, changed]) {
        const result = ok(setJobSteps(text, id, next));
        const expected = structuredClone(before);
        expected.jobs[id].steps = next;
        expect(plainOf(result.text)).toEqual(expected);
        expect(lostComments(text, result.text)).toEqual([]);
      }
    }
  });
});
