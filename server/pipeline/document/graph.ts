import { deepEqual, isPlainObject, keyOf, load, needsList, type PipelineError } from "./load";

/** One node of the visual editor. */
export interface GraphJob {
  id: string;
  name?: string;
  image?: string;
  /** Worker pool labels (`runs-on` as one label or a list). */
  runsOn?: string[];
  stepCount: number;
  /** The environment's name, for `environment: production` and `environment: { name: production }`. */
  environment?: string;
  /** Has a `deploy` section. */
  isDeploy: boolean;
  /** How many runs the matrix expands to; 1 without a matrix. */
  matrixSize: number;
  /** 1-based line of the job's id, to jump from the canvas to the YAML. */
  line: number;
}

/** `source` must finish before `target`: target's `needs` names source. */
export interface GraphEdge {
  source: string;
  target: string;
}

export interface PipelineGraph {
  jobs: GraphJob[];
  edges: GraphEdge[];
}

export type ReadResult = { ok: true; graph: PipelineGraph } | { ok: false; error: PipelineError };

/**
 * The graph the canvas draws. A YAML that does not parse yields the error and
 * its position, so the editor keeps showing the last good graph meanwhile.
 * `needs` naming a job that does not exist draws no edge (the validator reports it).
 */
export function readGraph(text: string): ReadResult {
  const result = load(text);
  if (!result.ok) return result;
  const { loaded } = result;
  const jobs: GraphJob[] = [];
  for (const pair of loaded.jobs?.items ?? []) {
    const id = keyOf(pair.key, loaded.doc);
    const body = loaded.merged[id];
    const job: GraphJob = {
      id,
      stepCount: Array.isArray(body.steps) ? body.steps.length : 0,
      isDeploy: body.deploy !== undefined && body.deploy !== null,
      matrixSize: matrixSize(isPlainObject(body.strategy) ? body.strategy.matrix : undefined),
      line: loaded.positionAt((pair.key as { range: number[] }).range[0]).line,
    };
    if (typeof body.name === "string") job.name = body.name;
    if (typeof body.image === "string") job.image = body.image;
    const runsOn = needsList(body["runs-on"]);
    if (runsOn.length > 0) job.runsOn = runsOn;
    const environment = isPlainObject(body.environment) ? body.environment.name : body.environment;
    if (typeof environment === "string") job.environment = environment;
    jobs.push(job);
  }
  return { ok: true, graph: { jobs, edges: edgesOf(loaded.merged) } };
}

export function edgesOf(merged: Record<string, Record<string, unknown>>): GraphEdge[] {
  const edges: GraphEdge[] = [];
  for (const [target, body] of Object.entries(merged)) {
    for (const source of new Set(needsList(body.needs))) {
      if (Object.prototype.hasOwnProperty.call(merged, source)) edges.push({ source, target });
    }
  }
  return edges;
}

/** The jobs from `from` to `to` following edges (source -> target), or undefined when `to` is not reachable. */
export function findPath(edges: GraphEdge[], from: string, to: string): string[] | undefined {
  const cameFrom = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    if (current === to) {
      const path = [to];
      while (path[0] !== from) path.unshift(cameFrom.get(path[0]) as string);
      return path;
    }
    for (const edge of edges) {
      if (edge.source === current && !cameFrom.has(edge.target)) {
        cameFrom.set(edge.target, current);
        queue.push(edge.target);
      }
    }
  }
  return undefined;
}

/** Beyond this many combinations the count is only the product of the axes (the runner refuses such matrices anyway). */
const MAX_ENUMERATED = 4096;

/**
 * Matrix size with GitHub Actions' rules: the product of the axes, minus
 * `exclude` matches, plus each `include` entry that cannot extend any
 * combination without overwriting an axis value. An axis given as an expression
 * counts as one value: its size is only known at run time.
 */
export function matrixSize(matrix: unknown): number {
  if (!isPlainObject(matrix)) return 1;
  const axes = Object.entries(matrix).filter(([key]) => key !== "include" && key !== "exclude");
  const values = axes.map(([, value]) => (Array.isArray(value) ? value : [value]));
  const product = values.reduce((total, list) => total * list.length, 1);
  if (product > MAX_ENUMERATED) return product;
  let combos: Record<string, unknown>[] = [{}];
  axes.forEach(([key], index) => {
    combos = combos.flatMap((combo) => values[index].map((value) => ({ ...combo, [key]: value })));
  });
  if (axes.length === 0) combos = [];
  // An exclude entry removes the combinations it fully matches.
  const excludes = (Array.isArray(matrix.exclude) ? matrix.exclude : []).filter(isPlainObject);
  combos = combos.filter(
    (combo) => !excludes.some((entry) => Object.entries(entry).every(([key, value]) => key in combo && deepEqual(combo[key], value))),
  );
  // An include entry extends the combinations whose axis values it agrees with, else adds its own.
  const extendable = (combo: Record<string, unknown>, entry: Record<string, unknown>) =>
    Object.entries(entry).every(([key, value]) => !(key in combo) || deepEqual(combo[key], value));
  const includes = (Array.isArray(matrix.include) ? matrix.include : []).filter(isPlainObject);
  if (axes.length === 0 && includes.length === 0) return 1;
  return combos.length + includes.filter((entry) => !combos.some((combo) => extendable(combo, entry))).length;
}
