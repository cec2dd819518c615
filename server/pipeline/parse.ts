import { Diagnostics, type Diagnostic, type Path, type Position } from "./diagnostics";
import { LIMITS } from "./limits";
import type { Job, Pipeline } from "./model";
import { asMap, definedIf, Fields, type Ctx } from "./reader";
import { readSource, type SNode } from "./source";
import { validateExpressions } from "./validate-expressions";
import { validateGraph } from "./validate-graph";
import { readConcurrency, readDefaults, validateJob } from "./validate-job";
import { validateTriggers } from "./validate-triggers";

export type ParseResult =
  | { ok: true; pipeline: Pipeline; warnings: Diagnostic[] }
  | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

const TOP_KEYS = ["name", "on", "env", "concurrency", "defaults", "jobs"];
const TOP_SYNONYMS: Record<string, string> = {
  trigger: "on",
  triggers: "on",
  variables: "env",
  stages: "jobs",
  workflow: "jobs",
};

/** Reads a pipeline file. Pure: the text in, the validated model (or every problem found) out. */
export function parsePipeline(text: string): ParseResult {
  const d = new Diagnostics();
  const tree = readSource(text, d);
  const ctx: Ctx = { d, positionAt: tree.positionAt };
  const pipeline = tree.root && d.errors.length === 0 ? validatePipeline(ctx, tree.root) : undefined;
  const byPosition = (a: Diagnostic, b: Diagnostic) => a.line - b.line || a.column - b.column;
  const warnings = d.warnings.sort(byPosition);
  if (!pipeline || d.errors.length > 0) {
    const errors = d.errors.sort(byPosition);
    if (errors.length === 0) {
      errors.push({ message: "The pipeline file is empty.", line: 1, column: 1, path: [], severity: "error" });
    }
    return { ok: false, errors, warnings };
  }
  return { ok: true, pipeline, warnings };
}

function validatePipeline(ctx: Ctx, root: SNode): Pipeline | undefined {
  const map = asMap(ctx, root, [], "The pipeline file");
  if (!map) return undefined;
  const f = new Fields(ctx, map, []);
  // Top-level "x-" keys are free for YAML anchors to share (`x-defaults: &defaults`), as in Compose files.
  const extensions = map.entries.map((e) => e.key).filter((key) => key.startsWith("x-"));
  f.allow([...TOP_KEYS, ...extensions], "the pipeline", TOP_SYNONYMS);
  const start = { line: 1, column: 1 };

  const on = f.node("on");
  if (!on) ctx.d.error("The pipeline has no on: add a trigger, e.g. `on: push` or `on: manual`.", start, ["on"]);
  const triggers = on ? validateTriggers(ctx, on) : {};
  const concurrency = f.node("concurrency");
  const defaults = f.mapping("defaults");
  const settings = {
    ...definedIf("name", f.string("name")),
    on: triggers,
    env: f.env("env"),
    ...definedIf("concurrency", concurrency && readConcurrency(ctx, concurrency, ["concurrency"])),
    ...definedIf("defaults", defaults && readDefaults(defaults)),
  };

  const jobsEntry = f.entry("jobs");
  const jobsMap = jobsEntry && asMap(ctx, jobsEntry.value, ["jobs"], "jobs");
  if (!jobsEntry) ctx.d.error("The pipeline has no jobs: add `jobs:` with at least one job.", start, ["jobs"]);
  else if (jobsMap?.entries.length === 0) ctx.d.error("jobs is empty; add at least one job.", jobsEntry.keyPos, ["jobs"]);
  if (!jobsEntry || !jobsMap) return undefined;
  if (jobsMap.entries.length > LIMITS.maxJobs) {
    const message = `The pipeline has ${jobsMap.entries.length} jobs; the limit is ${LIMITS.maxJobs}.`;
    ctx.d.error(message, jobsEntry.keyPos, ["jobs"]);
    return undefined;
  }

  const sources = jobsMap.entries.flatMap((entry) => validateJob(ctx, entry) ?? []);
  validateGraph(ctx, sources);
  const jobs = new Map<string, Job>(sources.map((s) => [s.job.id, s.job]));
  validateExpressions(ctx, root, { inputs: new Set(Object.keys(triggers.manual?.inputs ?? {})), jobs });
  if (ctx.d.errors.length > 0) return undefined;
  return { ...settings, jobs: Object.fromEntries(jobs), locations: locations(root) };
}

/** JSON pointer (RFC 6901) of every node -> where it is written; keys point at the key. */
function locations(root: SNode): Record<string, Position> {
  const out: Record<string, Position> = { "": root.pos };
  const pointer = (path: Path) => path.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
  const visit = (node: SNode, path: Path): void => {
    if (node.kind === "map") {
      for (const { key, keyPos, value } of node.entries) {
        out[pointer([...path, key])] = keyPos;
        visit(value, [...path, key]);
      }
    } else if (node.kind === "seq") {
      node.items.forEach((item, index) => {
        out[pointer([...path, index])] = item.pos;
        visit(item, [...path, index]);
      });
    }
  };
  visit(root, []);
  return out;
}
