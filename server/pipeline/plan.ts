import { ExpressionError, ExpressionSyntaxError, interpolate } from "./expressions";
import { canonical, expandMatrix } from "./matrix";
import type { InputValue, MatrixCombination, Pipeline } from "./model";
import type { TriggerEvent } from "./triggers";

export interface PlanOptions {
  /** Values for manual inputs; declared defaults fill the rest. */
  inputs?: Record<string, InputValue>;
  /** Read by `${{ run.* }}` in job names. */
  trigger?: TriggerEvent;
}

/** One concrete job of a run: a pipeline job, or one combination of its matrix. */
export interface PlannedJob {
  /** Machine key, unique in the plan: `build`, `test[node=18,os=linux]`. */
  key: string;
  /** The pipeline job it comes from. */
  jobId: string;
  /** Display name: `test (node: 18, os: linux)`. */
  name: string;
  matrix?: MatrixCombination;
  /** Keys of the planned jobs this one waits for. */
  needs: string[];
  /** Longest chain of needs before this job: 0 for jobs that need nothing. For layout. */
  stage: number;
}

export interface Plan {
  /** Topologically ordered; among jobs ready at the same time, file order first. */
  jobs: PlannedJob[];
  /** Keys per stage, in plan order. */
  stages: string[][];
  /** Key -> keys of the planned jobs that need it. */
  dependents: Record<string, string[]>;
  inputs: Record<string, InputValue>;
}

const display = (value: unknown) => (typeof value === "string" ? value : canonical(value));
// Characters that structure a key are percent-encoded inside values so keys stay unambiguous.
const keyPart = (value: unknown) => display(value).replace(/[%[\],=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function matrixKey(jobId: string, combination: MatrixCombination): string {
  return `${jobId}[${Object.entries(combination).map(([k, v]) => `${k}=${keyPart(v)}`).join(",")}]`;
}

function displayName(
  name: string,
  combination: MatrixCombination | undefined,
  context: { inputs: Record<string, InputValue>; run: unknown },
): string {
  if (name.includes("${{")) {
    try {
      return interpolate(name, { ...context, matrix: combination ?? {} });
    } catch (error) {
      // Names may read contexts that only exist later in the run; show them as written then.
      if (error instanceof ExpressionError || error instanceof ExpressionSyntaxError) return name;
      throw error;
    }
  }
  if (!combination) return name;
  return `${name} (${Object.entries(combination).map(([k, v]) => `${k}: ${display(v)}`).join(", ")})`;
}

/** Expands matrices and orders the jobs of a validated pipeline. Pure; the result is plain JSON. */
export function planPipeline(pipeline: Pipeline, options: PlanOptions = {}): Plan {
  const inputs: Record<string, InputValue> = {};
  for (const [name, definition] of Object.entries(pipeline.on.manual?.inputs ?? {})) {
    if (definition.default !== undefined) inputs[name] = definition.default;
  }
  Object.assign(inputs, options.inputs);
  const context = { inputs, run: options.trigger ? { event: options.trigger.type, ...options.trigger } : {} };

  const jobs: PlannedJob[] = [];
  const keysOf = new Map<string, string[]>();
  for (const job of Object.values(pipeline.jobs)) {
    const matrix = job.strategy?.matrix;
    const combinations = matrix ? expandMatrix(matrix) : [undefined];
    const keys: string[] = [];
    for (const combination of combinations) {
      const key = combination ? matrixKey(job.id, combination) : job.id;
      keys.push(key);
      jobs.push({
        key,
        jobId: job.id,
        name: displayName(job.name, combination, context),
        ...(combination && { matrix: combination }),
        needs: [],
        stage: 0,
      });
    }
    keysOf.set(job.id, keys);
  }
  // A job that needs a matrix job waits for every one of its combinations.
  for (const planned of jobs) {
    planned.needs = pipeline.jobs[planned.jobId].needs.flatMap((id) => keysOf.get(id) ?? []);
  }
  return order(jobs, inputs);
}

/** Kahn's algorithm, always taking the ready job that comes first in the file. */
function order(jobs: PlannedJob[], inputs: Record<string, InputValue>): Plan {
  const index = new Map(jobs.map((job, i) => [job.key, i]));
  const dependents: Record<string, string[]> = Object.fromEntries(jobs.map((job) => [job.key, []]));
  const waiting = jobs.map((job) => job.needs.length);
  for (const job of jobs) for (const need of job.needs) dependents[need].push(job.key);

  const ready = new MinHeap();
  waiting.forEach((count, i) => count === 0 && ready.push(i));
  const ordered: PlannedJob[] = [];
  while (ready.size > 0) {
    const job = jobs[ready.pop()];
    ordered.push(job);
    for (const key of dependents[job.key]) {
      const i = index.get(key)!;
      jobs[i].stage = Math.max(jobs[i].stage, job.stage + 1);
      if (--waiting[i] === 0) ready.push(i);
    }
  }
  if (ordered.length !== jobs.length) {
    throw new Error("planPipeline: the jobs' needs form a cycle; parsePipeline reports this, so plan only what it accepted");
  }
  const stages: string[][] = [];
  for (const job of ordered) (stages[job.stage] ??= []).push(job.key);
  return { jobs: ordered, stages, dependents, inputs };
}

/** Binary min-heap of job indices: a matrix can make the ready set large. */
class MinHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent] <= items[i]) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }

  pop(): number {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let smallest = i;
        if (l < items.length && items[l] < items[smallest]) smallest = l;
        if (r < items.length && items[r] < items[smallest]) smallest = r;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i], items[smallest]];
        i = smallest;
      }
    }
    return top;
  }
}
