import picomatch from "picomatch";
import { didYouMean } from "./diagnostics";
import type { InputDefinition, InputValue, Triggers } from "./model";

/** What happened, as the webhook, the UI or the scheduler reports it. */
export type TriggerEvent =
  | { type: "push"; branch: string; changedFiles?: string[] }
  | { type: "push"; tag: string }
  | { type: "pull_request"; baseBranch: string; headBranch?: string; changedFiles?: string[] }
  | { type: "manual"; inputs?: Record<string, unknown> }
  | { type: "schedule"; cron: string; timezone?: string };

export type TriggerDecision =
  | { run: true; inputs: Record<string, InputValue> }
  | { run: false; reason: string; inputErrors?: Record<string, string> };

const matchers = new Map<string, (value: string) => boolean>();

/** Glob match: `*` stays within one path segment, `**` crosses them, dotfiles included. */
export function globMatch(pattern: string, value: string): boolean {
  let matcher = matchers.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern, { dot: true });
    matchers.set(pattern, matcher);
  }
  return matcher(value);
}

/** The last pattern that matches decides; `!pattern` excludes. */
export function filterMatches(patterns: string[], value: string): boolean {
  let included = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith("!");
    if (globMatch(negated ? pattern.slice(1) : pattern, value)) included = !negated;
  }
  return included;
}

const yes = (): TriggerDecision => ({ run: true, inputs: {} });
const no = (reason: string): TriggerDecision => ({ run: false, reason });

/** Whether `event` starts a run of a pipeline with these triggers, and why not. Pure. */
export function matchTrigger(on: Triggers, event: TriggerEvent): TriggerDecision {
  switch (event.type) {
    case "push": {
      if (!on.push) return no("The pipeline has no push trigger.");
      const f = on.push;
      if ("tag" in event) {
        if (!f.tags && !f.tagsIgnore && (f.branches || f.branchesIgnore)) {
          return no(`Tag "${event.tag}" was pushed, but on.push only lists branches.`);
        }
        return refDecision("tag", event.tag, f.tags, f.tagsIgnore, "on.push") ?? yes();
      }
      if (!f.branches && !f.branchesIgnore && (f.tags || f.tagsIgnore)) {
        return no(`Branch "${event.branch}" was pushed, but on.push only lists tags.`);
      }
      return (
        refDecision("branch", event.branch, f.branches, f.branchesIgnore, "on.push") ??
        pathDecision(event.changedFiles, f.paths, f.pathsIgnore, "on.push") ??
        yes()
      );
    }
    case "pull_request": {
      const f = on.pullRequest;
      if (!f) return no("The pipeline has no pull_request trigger.");
      return (
        refDecision("base branch", event.baseBranch, f.branches, f.branchesIgnore, "on.pull_request") ??
        pathDecision(event.changedFiles, f.paths, f.pathsIgnore, "on.pull_request") ??
        yes()
      );
    }
    case "manual": {
      if (!on.manual) return no("The pipeline has no manual trigger.");
      const result = coerceInputs(on.manual.inputs, event.inputs ?? {});
      if ("errors" in result) {
        return { run: false, reason: `Invalid inputs: ${Object.values(result.errors).join(" ")}`, inputErrors: result.errors };
      }
      return { run: true, inputs: result.inputs };
    }
    case "schedule": {
      const match = on.schedule?.some(
        (s) => s.cron === event.cron && (event.timezone === undefined || (s.timezone ?? "UTC") === event.timezone),
      );
      return match ? yes() : no(`The pipeline has no schedule with cron "${event.cron}".`);
    }
  }
}

function refDecision(
  what: string,
  name: string,
  include: string[] | undefined,
  ignore: string[] | undefined,
  where: string,
): TriggerDecision | undefined {
  const plural = what === "tag" ? "tags" : "branches";
  if (include && !filterMatches(include, name)) return no(`The ${what} "${name}" matches none of ${where}.${plural}.`);
  const ignored = ignore?.find((pattern) => globMatch(pattern, name));
  if (ignored) return no(`The ${what} "${name}" matches "${ignored}" in ${where}.${plural}-ignore.`);
  return undefined;
}

/** Unknown changed files (`undefined`) never block a run: we cannot prove the filter fails. */
function pathDecision(
  files: string[] | undefined,
  include: string[] | undefined,
  ignore: string[] | undefined,
  where: string,
): TriggerDecision | undefined {
  if (!files) return undefined;
  if (include && !files.some((file) => filterMatches(include, file))) {
    return no(`None of the ${files.length} changed files match ${where}.paths.`);
  }
  if (ignore && files.length > 0 && files.every((file) => ignore.some((pattern) => globMatch(pattern, file)))) {
    return no(`All ${files.length} changed files match ${where}.paths-ignore.`);
  }
  return undefined;
}

/**
 * Checks and converts the values given for a manual run: "true"/"false" and
 * numeric text are accepted for booleans and numbers (forms and query strings
 * send text); defaults fill in what is missing.
 */
export function coerceInputs(
  definitions: Record<string, InputDefinition>,
  given: Record<string, unknown>,
): { inputs: Record<string, InputValue> } | { errors: Record<string, string> } {
  const inputs: Record<string, InputValue> = {};
  const errors: Record<string, string> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(definitions, name)) {
      errors[name] = `Unknown input "${name}".${didYouMean(name, Object.keys(definitions))}`;
    }
  }
  for (const [name, definition] of Object.entries(definitions)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    if (raw === undefined || raw === null || raw === "") {
      if (definition.default !== undefined) inputs[name] = definition.default;
      else if (definition.required) errors[name] = `Input "${name}" is required.`;
      continue;
    }
    const value = coerce(definition, raw);
    if (value === undefined) errors[name] = inputError(name, definition, raw);
    else inputs[name] = value;
  }
  return Object.keys(errors).length > 0 ? { errors } : { inputs };
}

function coerce(definition: InputDefinition, raw: unknown): InputValue | undefined {
  switch (definition.type) {
    case "string":
      return typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean" ? String(raw) : undefined;
    case "boolean":
      if (typeof raw === "boolean") return raw;
      return raw === "true" ? true : raw === "false" ? false : undefined;
    case "number": {
      const value = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      return Number.isFinite(value) ? value : undefined;
    }
    case "choice": {
      const text = typeof raw === "string" || typeof raw === "number" ? String(raw) : undefined;
      return text !== undefined && definition.options?.includes(text) ? text : undefined;
    }
  }
}

function inputError(name: string, definition: InputDefinition, raw: unknown): string {
  const got = typeof raw === "string" ? JSON.stringify(raw) : typeof raw === "object" ? "a structure" : String(raw);
  switch (definition.type) {
    case "boolean":
      return `Input "${name}" must be true or false, got ${got}.`;
    case "number":
      return `Input "${name}" must be a number, got ${got}.`;
    case "choice":
      return `Input "${name}" must be one of ${definition.options?.join(", ")}, got ${got}.`;
    case "string":
      return `Input "${name}" must be text, got ${got}.`;
  }
}
