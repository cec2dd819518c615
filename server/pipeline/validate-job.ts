import type { Path, Position } from "./diagnostics";
import { LIMITS } from "./limits";
import { matrixCount } from "./matrix";
import type { Concurrency, Defaults, Environment, Job, Matrix, MatrixCombination, Strategy } from "./model";
import { asMap, asString, definedIf, describe, Fields, isNull, NAME_PATTERN, readCondition, toPlain, type Ctx } from "./reader";
import type { SEntry, SMap, SNode } from "./source";
import { validateDeploy } from "./validate-deploy";
import { validateSteps } from "./validate-steps";

export const JOB_KEYS = [
  "name",
  "needs",
  "if",
  "image",
  "runs-on",
  "env",
  "timeout-minutes",
  "continue-on-error",
  "retries",
  "strategy",
  "concurrency",
  "defaults",
  "steps",
  "environment",
  "deploy",
  "outputs",
];
// Names other CI systems use for the same thing.
const JOB_SYNONYMS: Record<string, string> = {
  depends_on: "needs",
  "depends-on": "needs",
  dependencies: "needs",
  when: "if",
  script: "steps",
  variables: "env",
  timeout: "timeout-minutes",
  retry: "retries",
  container: "image",
  tags: "runs-on",
  allow_failure: "continue-on-error",
  "allow-failure": "continue-on-error",
};

/** A validated job plus where its `needs` entries are written, for the graph checks. */
export interface JobSource {
  job: Job;
  needs: { id: string; pos: Position; path: Path }[];
}

export function validateJob(ctx: Ctx, { key: id, keyPos, value }: SEntry): JobSource | undefined {
  const path = ["jobs", id];
  if (!NAME_PATTERN.test(id)) {
    ctx.d.error(`Job id "${id}" must start with a letter or _ and contain only letters, digits, - and _.`, keyPos, path);
    return undefined;
  }
  const map = asMap(ctx, value, path, `Job "${id}"`);
  if (!map) return undefined;
  const f = new Fields(ctx, map, path);
  const where = `job "${id}"`;
  const services = f.entry("services");
  if (services) {
    const message = `services are not supported; start the service from a step in job "${id}" instead.`;
    ctx.d.error(message, services.keyPos, f.at("services"));
  }
  f.allow([...JOB_KEYS, "services"], where, JOB_SYNONYMS);

  const needs = readNeeds(ctx, f);
  const strategy = f.mapping("strategy");
  const concurrency = f.node("concurrency");
  const defaults = f.mapping("defaults");
  const environment = f.node("environment");
  const job: Job = {
    id,
    name: f.string("name") ?? id,
    needs: needs.map((n) => n.id),
    runsOn: f.stringList("runs-on") ?? [],
    env: f.env("env"),
    continueOnError: f.bool("continue-on-error") ?? false,
    retries: f.int("retries", 0, 5) ?? 0,
    steps: [],
    outputs: f.env("outputs"),
    source: keyPos,
    ...definedIf("if", readCondition(f)),
    ...definedIf("image", f.string("image")),
    ...definedIf("timeoutMinutes", f.number("timeout-minutes", 0.01, 4320, "minutes")),
    ...definedIf("strategy", strategy && readStrategy(strategy, id)),
    ...definedIf("concurrency", concurrency && readConcurrency(ctx, concurrency, f.at("concurrency"))),
    ...definedIf("defaults", defaults && readDefaults(defaults)),
    ...definedIf("environment", environment && readEnvironment(ctx, environment, f.at("environment"))),
  };

  const stepsEntry = f.entry("steps");
  const deployEntry = f.entry("deploy");
  if (stepsEntry) job.steps = validateSteps(ctx, stepsEntry.value, f.at("steps"), id);
  if (deployEntry) {
    const deploy = validateDeploy(ctx, deployEntry.value, f.at("deploy"));
    if (deploy) job.deploy = deploy;
    if (!environment) {
      const message = `Job "${id}" deploys, so it needs an environment, e.g. \`environment: production\`.`;
      ctx.d.error(message, deployEntry.keyPos, f.at("deploy"));
    }
  }
  if (!stepsEntry && !deployEntry) {
    ctx.d.error(`Job "${id}" has neither steps nor deploy; give it steps to run or a deploy section.`, keyPos, path);
  } else if (stepsEntry && deployEntry) {
    ctx.d.error(
      `Job "${id}" has both steps and deploy; move the steps into a job that this one needs.`,
      deployEntry.keyPos,
      f.at("deploy"),
    );
  }
  return { job, needs };
}

function readNeeds(ctx: Ctx, f: Fields): JobSource["needs"] {
  const node = f.node("needs");
  if (!node || isNull(node)) return [];
  const items = node.kind === "seq" ? node.items : [node];
  const out: JobSource["needs"] = [];
  items.forEach((item, index) => {
    const at = node.kind === "seq" ? [...f.at("needs"), index] : f.at("needs");
    const id = asString(ctx, item, at, "needs");
    if (id !== undefined) out.push({ id, pos: item.pos, path: at });
  });
  return out;
}

function readStrategy(f: Fields, id: string): Strategy {
  f.allow(["matrix", "fail-fast", "max-parallel"], `strategy of job "${id}"`);
  const strategy: Strategy = { failFast: f.bool("fail-fast") ?? true };
  const maxParallel = f.int("max-parallel", 1, LIMITS.maxMatrixCombinations);
  if (maxParallel !== undefined) strategy.maxParallel = maxParallel;
  const matrix = f.mapping("matrix");
  if (matrix) strategy.matrix = readMatrix(matrix, id, f.entry("matrix")!.keyPos);
  return strategy;
}

function readMatrix(f: Fields, id: string, matrixPos: Position): Matrix {
  const { ctx } = f;
  const matrix: Matrix = { axes: {}, include: [], exclude: [] };
  const excludeMaps: SMap[] = [];
  for (const { key, keyPos, value } of f.map.entries) {
    const at = f.at(key);
    if (key === "include" || key === "exclude") {
      const list = value.kind === "seq" ? value.items : undefined;
      if (!list) ctx.d.error(`matrix ${key} must be a list of mappings, got ${describe(value)}.`, value.pos, at);
      list?.forEach((item, index) => {
        const map = asMap(ctx, item, [...at, index], `Each entry of matrix ${key}`);
        if (!map) return;
        matrix[key].push(toPlain(map) as MatrixCombination);
        if (key === "exclude") excludeMaps.push(map);
      });
    } else if (!NAME_PATTERN.test(key)) {
      ctx.d.error(`Matrix key "${key}" must start with a letter or _ and contain only letters, digits, - and _.`, keyPos, at);
    } else if (value.kind !== "seq" || value.items.length === 0) {
      ctx.d.error(`matrix.${key} must be a non-empty list of values, e.g. [18, 20], got ${describe(value)}.`, value.pos, at);
    } else {
      matrix.axes[key] = value.items.map(toPlain) as Matrix["axes"][string];
    }
  }
  excludeMaps.forEach((map, index) => {
    const unknown = map.entries.find((e) => !Object.hasOwn(matrix.axes, e.key));
    if (unknown) {
      const message = `matrix exclude refers to "${unknown.key}", which is not a matrix key of job "${id}".`;
      ctx.d.error(message, unknown.keyPos, [...f.at("exclude"), index, unknown.key]);
    }
  });
  const declaresAxes = f.map.entries.some((e) => e.key !== "include" && e.key !== "exclude");
  if (!declaresAxes && matrix.include.length === 0) {
    ctx.d.error(`The matrix of job "${id}" has no keys; add one such as \`node: [18, 20]\`.`, matrixPos, f.path);
  }
  const { count, exact } = matrixCount(matrix);
  if (count === 0 && Object.keys(matrix.axes).length > 0) {
    ctx.d.error(`The matrix of job "${id}" excludes every combination, so the job would never run.`, matrixPos, f.path);
  } else if (count > LIMITS.maxMatrixCombinations) {
    const note = exact ? "" : " (before exclude)";
    ctx.d.error(
      `The matrix of job "${id}" would expand to ${count} combinations${note}; the limit is ${LIMITS.maxMatrixCombinations}.`,
      matrixPos,
      f.path,
    );
  }
  return matrix;
}

export function readConcurrency(ctx: Ctx, node: SNode, path: Path): Concurrency | undefined {
  if (node.kind === "scalar") {
    const group = asString(ctx, node, path, "concurrency");
    return group === undefined ? undefined : { group, cancelInProgress: false };
  }
  const map = asMap(ctx, node, path, "concurrency");
  if (!map) return undefined;
  const f = new Fields(ctx, map, path);
  f.allow(["group", "cancel-in-progress"], "concurrency");
  const group = f.string("group");
  if (group === undefined) {
    if (!f.entry("group")) ctx.d.error("concurrency needs a group, e.g. `group: deploy-${{ run.branch }}`.", map.pos, path);
    return undefined;
  }
  return { group, cancelInProgress: f.bool("cancel-in-progress") ?? false };
}

export function readDefaults(f: Fields): Defaults {
  f.allow(["run"], "defaults");
  const run = f.mapping("run");
  if (!run) return {};
  run.allow(["shell", "working-directory"], "defaults.run");
  const out: NonNullable<Defaults["run"]> = {};
  const shell = run.string("shell");
  if (shell !== undefined) out.shell = shell;
  const workingDirectory = run.string("working-directory");
  if (workingDirectory !== undefined) out.workingDirectory = workingDirectory;
  return { run: out };
}

function readEnvironment(ctx: Ctx, node: SNode, path: Path): Environment | undefined {
  if (node.kind === "scalar") {
    const name = asString(ctx, node, path, "environment");
    return name === undefined ? undefined : { name };
  }
  const map = asMap(ctx, node, path, "environment");
  if (!map) return undefined;
  const f = new Fields(ctx, map, path);
  f.allow(["name", "url"], "environment");
  const name = f.string("name");
  if (name === undefined) {
    if (!f.entry("name")) ctx.d.error("environment needs a name, e.g. `name: production`.", map.pos, path);
    return undefined;
  }
  const url = f.string("url");
  return url === undefined ? { name } : { name, url };
}
