import { didYouMean, type Path } from "./diagnostics";
import { LIMITS } from "./limits";
import { BUILTINS, type Builtin, type Step, type UsesStep } from "./model";
import { definedIf, describe, Fields, NAME_PATTERN, readCondition, type Ctx } from "./reader";
import type { SNode } from "./source";

export const STEP_KEYS = [
  ...["name", "id", "env", "if", "continue-on-error", "timeout-minutes"],
  ...["run", "shell", "working-directory"],
  ...["uses", "with"],
];
const STEP_SYNONYMS: Record<string, string> = {
  script: "run",
  command: "run",
  cwd: "working-directory",
  workdir: "working-directory",
  action: "uses",
  params: "with",
};

const WITH_KEYS: Record<Builtin, string[]> = {
  checkout: ["fetch-depth", "path"],
  cache: ["key", "path", "paths", "restore-keys"],
  "upload-artifact": ["name", "path", "retention-days"],
  "download-artifact": ["name", "path"],
};

export function validateSteps(ctx: Ctx, node: SNode, path: Path, jobId: string): Step[] {
  if (node.kind !== "seq") {
    ctx.d.error(`steps of job "${jobId}" must be a list such as \`- run: ./build.sh\`, got ${describe(node)}.`, node.pos, path);
    return [];
  }
  if (node.items.length === 0) {
    ctx.d.error(`steps of job "${jobId}" is empty; add at least one step.`, node.pos, path);
  }
  if (node.items.length > LIMITS.maxStepsPerJob) {
    ctx.d.error(`Job "${jobId}" has ${node.items.length} steps; the limit is ${LIMITS.maxStepsPerJob}.`, node.pos, path);
    return [];
  }
  const ids = new Set<string>();
  const steps: Step[] = [];
  node.items.forEach((item, index) => {
    const step = validateStep(ctx, item, [...path, index], `step ${index + 1} of job "${jobId}"`);
    if (!step) return;
    if (step.id !== undefined) {
      if (ids.has(step.id)) {
        const message = `Step id "${step.id}" is used twice in job "${jobId}"; step ids must be unique.`;
        ctx.d.error(message, item.pos, [...path, index, "id"]);
      }
      ids.add(step.id);
    }
    steps.push(step);
  });
  return steps;
}

function validateStep(ctx: Ctx, node: SNode, path: Path, where: string): Step | undefined {
  if (node.kind !== "map") {
    const capital = where[0].toUpperCase() + where.slice(1);
    ctx.d.error(`${capital} must be a mapping such as \`- run: ./build.sh\`, got ${describe(node)}.`, node.pos, path);
    return undefined;
  }
  const f = new Fields(ctx, node, path);
  f.allow(STEP_KEYS, where, STEP_SYNONYMS);
  const run = f.entry("run");
  const uses = f.entry("uses");
  if (run && uses) {
    const message = `${where} has both run and uses; a step does one of them, so split it into two steps.`;
    ctx.d.error(message, uses.keyPos, f.at("uses"));
    return undefined;
  }
  if (!run && !uses) {
    ctx.d.error(`${where} needs either run (a command) or uses (one of ${BUILTINS.join(", ")}).`, node.pos, path);
    return undefined;
  }
  const id = f.string("id");
  if (id !== undefined && !NAME_PATTERN.test(id)) {
    const message = `Step id "${id}" must start with a letter or _ and contain only letters, digits, - and _.`;
    ctx.d.error(message, f.node("id")!.pos, f.at("id"));
  }
  const base = {
    name: f.string("name"),
    env: f.env("env"),
    continueOnError: f.bool("continue-on-error") ?? false,
    source: node.pos,
  };
  const optional = {
    ...definedIf("id", id),
    ...definedIf("if", readCondition(f)),
    ...definedIf("timeoutMinutes", f.number("timeout-minutes", 0.01, 4320, "minutes")),
  };
  if (run) {
    const w = f.entry("with");
    if (w) ctx.d.error(`with only applies to uses steps; ${where} runs a command.`, w.keyPos, f.at("with"));
    const command = f.string("run");
    if (command === undefined) return undefined;
    const firstLine = command.trim().split("\n")[0];
    return {
      kind: "run",
      ...base,
      name: base.name ?? `Run ${firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine}`,
      ...optional,
      run: command,
      ...definedIf("shell", f.string("shell")),
      ...definedIf("workingDirectory", f.string("working-directory")),
    };
  }
  for (const key of ["shell", "working-directory"]) {
    const entry = f.entry(key);
    if (entry) ctx.d.error(`${key} only applies to run steps; ${where} uses a built-in.`, entry.keyPos, f.at(key));
  }
  const builtin = readBuiltin(f, where);
  if (!builtin) return undefined;
  const params = readWith(f, builtin, where);
  if (!params) return undefined;
  return { kind: "uses", ...base, name: base.name ?? builtin, ...optional, ...params } as UsesStep;
}

function readBuiltin(f: Fields, where: string): Builtin | undefined {
  const uses = f.string("uses");
  if (uses === undefined) return undefined;
  const builtin = BUILTINS.find((b) => b === uses);
  if (builtin) return builtin;
  // "actions/checkout@v4" is what GitHub users type; suggest the built-in it resembles.
  const bare = uses.replace(/^actions\//, "").replace(/@.*$/, "");
  f.ctx.d.error(
    `Unknown built-in "${uses}" in uses of ${where}. The built-ins are ${BUILTINS.join(", ")}.${didYouMean(bare, BUILTINS)}`,
    f.node("uses")!.pos,
    f.at("uses"),
  );
  return undefined;
}

function readWith(f: Fields, builtin: Builtin, where: string): Pick<UsesStep, "uses" | "with"> | undefined {
  const node = f.node("with");
  const w = node && f.mapping("with");
  if (node && !w) return undefined;
  w?.allow(WITH_KEYS[builtin], `with of ${where} (${builtin})`);
  const require = (key: string, example: string): string | undefined => {
    const value = w?.string(key);
    if (value === undefined && !w?.entry(key)) {
      const at = f.entry("with")?.keyPos ?? f.map.pos;
      f.ctx.d.error(`${builtin} needs with.${key}, e.g. \`with: { ${key}: ${example} }\`.`, at, [...f.at("with"), key]);
    }
    return value;
  };
  switch (builtin) {
    case "checkout":
      return {
        uses: builtin,
        with: { ...definedIf("fetchDepth", w?.int("fetch-depth", 0, 1_000_000)), ...definedIf("path", w?.string("path")) },
      };
    case "cache": {
      const key = require("key", "deps-${{ hashFiles('package-lock.json') }}");
      const paths = readPaths(f, w, where, true);
      if (key === undefined || !paths) return undefined;
      return { uses: builtin, with: { key, paths, restoreKeys: w?.stringList("restore-keys") ?? [] } };
    }
    case "upload-artifact": {
      const name = require("name", "site");
      const paths = readPaths(f, w, where, false);
      if (name === undefined || !paths) return undefined;
      return { uses: builtin, with: { name, paths, ...definedIf("retentionDays", w?.int("retention-days", 1, 90, "days")) } };
    }
    case "download-artifact": {
      const name = require("name", "site");
      if (name === undefined) return undefined;
      return { uses: builtin, with: { name, ...definedIf("path", w?.string("path")) } };
    }
  }
}

/** `path` as text or list (and, for cache, its plural `paths`), never empty. */
function readPaths(f: Fields, w: Fields | undefined, where: string, pluralAllowed: boolean): string[] | undefined {
  const single = w?.entry("path");
  const plural = pluralAllowed ? w?.entry("paths") : undefined;
  if (single && plural) {
    f.ctx.d.error(`Use either path or paths in ${where}, not both.`, plural.keyPos, [...f.at("with"), "paths"]);
    return undefined;
  }
  const key = plural ? "paths" : "path";
  const paths = w?.stringList(key);
  if (!paths || paths.length === 0) {
    if (!single && !plural) {
      const at = f.entry("with")?.keyPos ?? f.map.pos;
      f.ctx.d.error(`${where} needs with.path, the files to keep, e.g. \`path: dist\`.`, at, [...f.at("with"), "path"]);
    } else if (paths) {
      f.ctx.d.error(`with.${key} of ${where} is empty.`, (plural ?? single)!.keyPos, [...f.at("with"), key]);
    }
    return undefined;
  }
  return paths;
}
