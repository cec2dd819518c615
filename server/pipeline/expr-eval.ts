import type { Expr } from "./expr-parse";

export const CONTEXT_NAMES = [
  "run",
  "inputs",
  "env",
  "secrets",
  "vars",
  "needs",
  "matrix",
  "steps",
  "job",
  "strategy",
] as const;
export type ContextName = (typeof CONTEXT_NAMES)[number];

/** Outcome of what ran before: the needed jobs (for a job's `if`) or earlier steps (for a step's). */
export interface StatusContext {
  failed?: boolean;
  cancelled?: boolean;
}

/** Everything an expression can read. Missing contexts and properties read as null. */
export type ExpressionContext = Partial<Record<ContextName, unknown>> & {
  status?: StatusContext;
  /** Functions only the caller can evaluate (they need the workspace). */
  functions?: { hashFiles?: (...patterns: string[]) => string };
};

/** An expression that parsed but cannot be evaluated, e.g. `fromJSON('{')`. */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpressionError";
  }
}

// Arrays produced by `.*`: property access on them maps over the elements, as in GitHub Actions.
const filtered = new WeakSet<unknown[]>();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Property lookup is case-insensitive, like GitHub's contexts (`env.path` finds `PATH`). */
function property(object: unknown, name: string): unknown {
  if (Array.isArray(object) && filtered.has(object)) {
    const mapped = object.map((item) => property(item, name)).filter((v) => v !== null);
    filtered.add(mapped);
    return mapped;
  }
  if (!isObject(object)) return null;
  if (Object.hasOwn(object, name)) return object[name] ?? null;
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? null : (object[key] ?? null);
}

export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === "") return false;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  return true;
}

/** String form used by interpolation and the string functions. */
export function stringify(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return Object.is(value, -0) ? "0" : String(value);
  if (typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "Array" : "Object";
}

function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return value;
  if (typeof value === "string") return value.trim() === "" ? 0 : Number(value.trim());
  return NaN;
}

/** GitHub's loose equality: strings compare case-insensitively, mixed types compare as numbers. */
export function looseEquals(a: unknown, b: unknown): boolean {
  a ??= null;
  b ??= null;
  const composite = (v: unknown) => typeof v === "object" && v !== null;
  if (composite(a) || composite(b)) return a === b;
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b) return a === b;
  return toNumber(a) === toNumber(b);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "string" && typeof b === "string") {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const [x, y] = [toNumber(a), toNumber(b)];
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  return x - y;
}

function format(template: string, args: unknown[]): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if ((char === "{" || char === "}") && template[i + 1] === char) {
      out += char;
      i++;
    } else if (char === "{") {
      const match = /^\{(\d+)\}/.exec(template.slice(i));
      if (!match || Number(match[1]) >= args.length) {
        throw new ExpressionError(`format(): "${template}" refers to an argument that was not given`);
      }
      out += stringify(args[Number(match[1])]);
      i += match[0].length - 1;
    } else if (char === "}") {
      throw new ExpressionError(`format(): unmatched "}" in "${template}" (write "}}" for a literal brace)`);
    } else {
      out += char;
    }
  }
  return out;
}

function call(expr: Extract<Expr, { type: "call" }>, context: ExpressionContext): unknown {
  const status = context.status ?? {};
  const args = () => expr.args.map((arg) => evaluateExpr(arg, context));
  switch (expr.name) {
    case "success":
      return !status.failed && !status.cancelled;
    case "failure":
      return Boolean(status.failed);
    case "cancelled":
      return Boolean(status.cancelled);
    case "always":
      return true;
    case "contains": {
      const [haystack, needle] = args();
      if (Array.isArray(haystack)) return haystack.some((item) => looseEquals(item, needle));
      return stringify(haystack).toLowerCase().includes(stringify(needle).toLowerCase());
    }
    case "startsWith": {
      const [text, prefix] = args();
      return stringify(text).toLowerCase().startsWith(stringify(prefix).toLowerCase());
    }
    case "endsWith": {
      const [text, suffix] = args();
      return stringify(text).toLowerCase().endsWith(stringify(suffix).toLowerCase());
    }
    case "format": {
      const [template, ...rest] = args();
      return format(stringify(template), rest);
    }
    case "join": {
      const [value, separator] = args();
      const sep = expr.args.length > 1 ? stringify(separator) : ",";
      return Array.isArray(value) ? value.map(stringify).join(sep) : stringify(value);
    }
    case "toJSON":
      return JSON.stringify(args()[0] ?? null, null, 2);
    case "fromJSON": {
      const text = stringify(args()[0]);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ExpressionError(`fromJSON(): not valid JSON: ${text.length > 60 ? `${text.slice(0, 60)}...` : text}`);
      }
    }
    case "hashFiles": {
      const hashFiles = context.functions?.hashFiles;
      if (!hashFiles) throw new ExpressionError("hashFiles() is only available inside a job's steps");
      return hashFiles(...args().map(stringify));
    }
  }
}

export function evaluateExpr(expr: Expr, context: ExpressionContext): unknown {
  switch (expr.type) {
    case "literal":
      return expr.value;
    case "context": {
      const name = CONTEXT_NAMES.find((n) => n === expr.name.toLowerCase());
      return name === undefined ? null : (context[name] ?? null);
    }
    case "property":
      return property(evaluateExpr(expr.object, context), expr.name);
    case "index": {
      const object = evaluateExpr(expr.object, context);
      const index = evaluateExpr(expr.index, context);
      if (Array.isArray(object) && !filtered.has(object) && typeof index === "number") return object[index] ?? null;
      return property(object, stringify(index));
    }
    case "filter": {
      const object = evaluateExpr(expr.object, context);
      const items = Array.isArray(object)
        ? filtered.has(object)
          ? object.flatMap((item) => (isObject(item) ? Object.values(item) : Array.isArray(item) ? item : []))
          : [...object]
        : isObject(object)
          ? Object.values(object)
          : [];
      filtered.add(items);
      return items;
    }
    case "not":
      return !truthy(evaluateExpr(expr.operand, context));
    case "binary": {
      const left = evaluateExpr(expr.left, context);
      // && and || short-circuit and yield an operand, as in GitHub Actions (`a || 'default'`).
      if (expr.op === "&&") return truthy(left) ? evaluateExpr(expr.right, context) : left;
      if (expr.op === "||") return truthy(left) ? left : evaluateExpr(expr.right, context);
      const right = evaluateExpr(expr.right, context);
      if (expr.op === "==") return looseEquals(left, right);
      if (expr.op === "!=") return !looseEquals(left, right);
      const order = compare(left, right);
      if (Number.isNaN(order)) return false;
      return { "<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0 }[expr.op];
    }
    case "call":
      return call(expr, context);
  }
}
