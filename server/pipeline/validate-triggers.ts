import { didYouMean, type Path, type Position } from "./diagnostics";
import { cronProblem, timezoneProblem } from "./cron";
import type { InputDefinition, InputType, InputValue, ManualTrigger, ScheduleTrigger, Triggers } from "./model";
import { asMap, asString, describe, Fields, isNull, NAME_PATTERN, type Ctx } from "./reader";
import type { SNode } from "./source";

const EVENTS = ["push", "pull_request", "manual", "workflow_dispatch", "schedule"];
const EVENT_SYNONYMS: Record<string, string> = {
  "pull-request": "pull_request",
  merge_request: "pull_request",
  dispatch: "manual",
  cron: "schedule",
};
const FILTER_PAIRS = [
  ["branches", "branches-ignore"],
  ["tags", "tags-ignore"],
  ["paths", "paths-ignore"],
] as const;
const INPUT_TYPES: InputType[] = ["string", "boolean", "choice", "number"];
const INPUT_TYPE_SYNONYMS: Record<string, string> = {
  int: "number",
  integer: "number",
  bool: "boolean",
  text: "string",
  enum: "choice",
  select: "choice",
};

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function validateTriggers(ctx: Ctx, node: SNode): Triggers {
  const path: Path = ["on"];
  const triggers: Triggers = {};
  // `on: push` and `on: [push, manual]` are shorthands for triggers without settings.
  const entries: { key: string; keyPos: Position; value: SNode | undefined }[] = [];
  if (node.kind === "map") entries.push(...node.entries);
  else {
    (node.kind === "seq" ? node.items : [node]).forEach((item, index) => {
      const key = asString(ctx, item, node.kind === "seq" ? [...path, index] : path, "Each trigger in on");
      if (key !== undefined) entries.push({ key, keyPos: item.pos, value: undefined });
    });
  }
  for (const { key, keyPos, value } of entries) {
    const at = [...path, key];
    if (!EVENTS.includes(key)) {
      ctx.d.error(`Unknown trigger "${key}" in on.${didYouMean(key, EVENTS, EVENT_SYNONYMS)}`, keyPos, at);
      continue;
    }
    const settings = value && !isNull(value) ? value : undefined;
    if (key === "schedule") {
      if (!settings) ctx.d.error("schedule needs a list of entries such as `- cron: '0 3 * * *'`.", keyPos, at);
      else triggers.schedule = schedule(ctx, settings, at);
      continue;
    }
    if (key === "manual" || key === "workflow_dispatch") {
      if (triggers.manual) {
        ctx.d.error("manual and workflow_dispatch are the same trigger; keep only one of them.", keyPos, at);
        continue;
      }
      triggers.manual = settings ? manual(ctx, settings, at) : { inputs: {} };
      continue;
    }
    const map = settings && asMap(ctx, settings, at, `on.${key}`);
    const filters = map ? readFilters(new Fields(ctx, map, at), key) : {};
    if (key === "push") triggers.push = filters;
    else triggers.pullRequest = filters;
  }
  return triggers;
}

const PUSH_FILTERS = ["branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"];
const PULL_REQUEST_FILTERS = ["branches", "branches-ignore", "paths", "paths-ignore"];

function readFilters(fields: Fields, event: string): Record<string, string[]> {
  const keys = event === "push" ? PUSH_FILTERS : PULL_REQUEST_FILTERS;
  fields.allow(keys, `on.${event}`);
  const filters: Record<string, string[]> = {};
  for (const name of keys) {
    const list = fields.stringList(name);
    if (list) filters[camel(name)] = checkPatterns(fields, name, list);
  }
  for (const [include, ignore] of FILTER_PAIRS) {
    const second = fields.entry(include) && fields.entry(ignore);
    if (second) {
      fields.ctx.d.error(
        `Use either ${include} or ${ignore} in on.${event}, not both; exclude with "!pattern" entries in ${include}.`,
        second.keyPos,
        fields.at(ignore),
      );
    }
  }
  return filters;
}

function checkPatterns(fields: Fields, key: string, patterns: string[]): string[] {
  const node = fields.node(key)!;
  const ignore = key.endsWith("-ignore");
  patterns.forEach((pattern, index) => {
    const item = node.kind === "seq" ? node.items[index] : node;
    const at = node.kind === "seq" ? [...fields.at(key), index] : fields.at(key);
    if (pattern.trim() === "") fields.ctx.d.error(`${key} has an empty pattern.`, item.pos, at);
    else if (ignore && pattern.startsWith("!")) {
      fields.ctx.d.error(
        `${key} cannot use "!" patterns; list the exceptions in ${key.replace("-ignore", "")} with "!" instead.`,
        item.pos,
        at,
      );
    }
  });
  if (!ignore && patterns.length > 0 && patterns.every((p) => p.startsWith("!"))) {
    fields.ctx.d.warn(
      `${key} has only "!" patterns, so nothing matches; start with a pattern that includes, such as "**".`,
      node.pos,
      fields.at(key),
    );
  }
  return patterns;
}

function manual(ctx: Ctx, node: SNode, path: Path): ManualTrigger {
  const map = asMap(ctx, node, path, "manual");
  if (!map) return { inputs: {} };
  const fields = new Fields(ctx, map, path);
  fields.allow(["inputs"], "manual");
  const inputs: Record<string, InputDefinition> = {};
  for (const { key, keyPos, value } of fields.mapping("inputs")?.map.entries ?? []) {
    const at = [...path, "inputs", key];
    if (!NAME_PATTERN.test(key)) {
      ctx.d.error(`Input name "${key}" must start with a letter or _ and contain only letters, digits, - and _.`, keyPos, at);
      continue;
    }
    const definition = isNull(value) ? { type: "string" as const, required: false } : input(ctx, value, at, key);
    if (definition) inputs[key] = definition;
  }
  return { inputs };
}

function input(ctx: Ctx, node: SNode, path: Path, name: string): InputDefinition | undefined {
  const map = asMap(ctx, node, path, `Input "${name}"`);
  if (!map) return undefined;
  const f = new Fields(ctx, map, path);
  f.allow(["type", "description", "required", "default", "options"], `input "${name}"`);
  const rawType = f.string("type") ?? "string";
  const type = INPUT_TYPES.find((t) => t === rawType);
  if (!type) {
    const hint = didYouMean(rawType, INPUT_TYPES, INPUT_TYPE_SYNONYMS);
    const message = `type of input "${name}" must be one of ${INPUT_TYPES.join(", ")}, got "${rawType}".${hint}`;
    ctx.d.error(message, f.node("type")!.pos, f.at("type"));
    return undefined;
  }
  const definition: InputDefinition = { type, required: f.bool("required") ?? false };
  const description = f.string("description");
  if (description !== undefined) definition.description = description;
  const optionsEntry = f.entry("options");
  if (type === "choice") {
    const options = f.stringList("options");
    if (!options || options.length === 0) {
      const message = `Input "${name}" has type choice, so it needs a non-empty options list.`;
      ctx.d.error(message, optionsEntry?.keyPos ?? map.pos, f.at("options"));
      return undefined;
    }
    definition.options = options;
  } else if (optionsEntry) {
    ctx.d.error(`options only apply to inputs of type choice; input "${name}" has type ${type}.`, optionsEntry.keyPos, f.at("options"));
  }
  const defaultNode = f.node("default");
  if (defaultNode) {
    const result = inputDefault(defaultNode, definition);
    if ("error" in result) ctx.d.error(result.error, defaultNode.pos, f.at("default"));
    else if (result.value !== undefined) definition.default = result.value;
  }
  return definition;
}

function inputDefault(node: SNode, definition: InputDefinition): { value?: InputValue } | { error: string } {
  const value = node.kind === "scalar" ? node.value : undefined;
  const got = describe(node);
  if (value === null) return {};
  switch (definition.type) {
    case "boolean":
      return typeof value === "boolean" ? { value } : { error: `default of a boolean input must be true or false, got ${got}.` };
    case "number":
      return typeof value === "number" ? { value } : { error: `default of a number input must be a number, got ${got}.` };
    case "string":
      return value !== undefined ? { value: String(value) } : { error: `default of a string input must be text, got ${got}.` };
    case "choice": {
      const text = value === undefined ? undefined : String(value);
      if (text !== undefined && definition.options?.includes(text)) return { value: text };
      return { error: `default ${got} is not one of the options: ${definition.options?.join(", ")}.` };
    }
  }
}

function schedule(ctx: Ctx, node: SNode, path: Path): ScheduleTrigger[] {
  if (node.kind !== "seq") {
    ctx.d.error(`schedule must be a list of entries such as \`- cron: '0 3 * * *'\`, got ${describe(node)}.`, node.pos, path);
    return [];
  }
  const out: ScheduleTrigger[] = [];
  node.items.forEach((item, index) => {
    const at = [...path, index];
    const map = asMap(ctx, item, at, "Each schedule entry");
    if (!map) return;
    const f = new Fields(ctx, map, at);
    f.allow(["cron", "timezone"], "schedule entry", { tz: "timezone", "time-zone": "timezone" });
    const cron = f.string("cron");
    if (cron === undefined) {
      if (!f.entry("cron")) ctx.d.error("A schedule entry needs a cron, e.g. `cron: '0 3 * * *'`.", item.pos, at);
      return;
    }
    const problem = cronProblem(cron);
    if (problem) ctx.d.error(`Invalid cron "${cron}": ${problem}.`, f.node("cron")!.pos, f.at("cron"));
    const timezone = f.string("timezone");
    const tzProblem = timezone === undefined ? undefined : timezoneProblem(timezone);
    if (tzProblem) ctx.d.error(tzProblem, f.node("timezone")!.pos, f.at("timezone"));
    if (!problem && !tzProblem) out.push(timezone === undefined ? { cron } : { cron, timezone });
  });
  return out;
}
