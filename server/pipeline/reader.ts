import { didYouMean, show, type Diagnostics, type Path, type Position } from "./diagnostics";
import type { SEntry, SMap, SNode, SScalar } from "./source";

/** What every validator needs: where to report, and how to turn an offset into a position. */
export interface Ctx {
  d: Diagnostics;
  positionAt(offset: number): Position;
}

export function describe(node: SNode): string {
  return node.kind === "scalar" ? show(node.value) : node.kind === "map" ? "a mapping" : "a list";
}

export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function asMap(ctx: Ctx, node: SNode, path: Path, label: string): SMap | undefined {
  if (node.kind === "map") return node;
  ctx.d.error(`${label} must be a mapping of keys to values, got ${describe(node)}.`, node.pos, path);
  return undefined;
}

/** Text from a scalar; numbers and booleans are taken as written (`image: 3` is "3"). */
export function asString(ctx: Ctx, node: SNode, path: Path, label: string): string | undefined {
  if (node.kind === "scalar" && node.value !== null) {
    return typeof node.value === "string" ? node.value : scalarText(node);
  }
  ctx.d.error(`${label} must be text, got ${describe(node)}.`, node.pos, path);
  return undefined;
}

function scalarText(node: SScalar): string {
  const raw = node.raw.trim();
  return raw !== "" && !/^["'|>]/.test(raw) ? raw : String(node.value);
}

/** A string or a list of strings, always returned as a list. */
export function asStringList(ctx: Ctx, node: SNode, path: Path, label: string): string[] | undefined {
  if (node.kind === "scalar") {
    const one = asString(ctx, node, path, label);
    return one === undefined ? undefined : [one];
  }
  if (node.kind === "map") {
    ctx.d.error(`${label} must be text or a list of text, got a mapping.`, node.pos, path);
    return undefined;
  }
  const out: string[] = [];
  node.items.forEach((item, index) => {
    const value = asString(ctx, item, [...path, index], `Each entry of ${label}`);
    if (value !== undefined) out.push(value);
  });
  return out;
}

/** Reads the known keys of one mapping and reports the unknown ones. */
export class Fields {
  constructor(
    readonly ctx: Ctx,
    readonly map: SMap,
    readonly path: Path,
  ) {}

  entry(key: string): SEntry | undefined {
    return this.map.entries.find((e) => e.key === key);
  }

  node(key: string): SNode | undefined {
    return this.entry(key)?.value;
  }

  at(key: string): Path {
    return [...this.path, key];
  }

  /** `Unknown key "need" in job "build". Did you mean "needs"?` */
  allow(keys: readonly string[], where: string, synonyms: Record<string, string> = {}, severity = "error"): void {
    for (const { key, keyPos } of this.map.entries) {
      if (keys.includes(key)) continue;
      const message = `Unknown key "${key}" in ${where}.${didYouMean(key, keys, synonyms)}`;
      if (severity === "error") this.ctx.d.error(message, keyPos, this.at(key));
      else this.ctx.d.warn(message, keyPos, this.at(key));
    }
  }

  string(key: string): string | undefined {
    const node = this.node(key);
    return node && asString(this.ctx, node, this.at(key), key);
  }

  stringList(key: string): string[] | undefined {
    const node = this.node(key);
    return node && asStringList(this.ctx, node, this.at(key), key);
  }

  mapping(key: string): Fields | undefined {
    const node = this.node(key);
    const map = node && asMap(this.ctx, node, this.at(key), key);
    return map && new Fields(this.ctx, map, this.at(key));
  }

  bool(key: string): boolean | undefined {
    const node = this.node(key);
    if (!node) return undefined;
    if (node.kind === "scalar" && typeof node.value === "boolean") return node.value;
    this.ctx.d.error(`${key} must be true or false, got ${describe(node)}.`, node.pos, this.at(key));
    return undefined;
  }

  /** `timeout-minutes must be a whole number of minutes between 1 and 4320, got "abc"` */
  int(key: string, min: number, max: number, unit = ""): number | undefined {
    const node = this.node(key);
    if (!node) return undefined;
    const value = node.kind === "scalar" ? node.value : undefined;
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    const of = unit ? ` of ${unit}` : "";
    this.ctx.d.error(
      `${key} must be a whole number${of} between ${min} and ${max}, got ${describe(node)}.`,
      node.pos,
      this.at(key),
    );
    return undefined;
  }

  /** `timeout-minutes must be a number of minutes between 0.01 and 4320, got "abc"`: fractions allowed. */
  number(key: string, min: number, max: number, unit = ""): number | undefined {
    const node = this.node(key);
    if (!node) return undefined;
    const value = node.kind === "scalar" ? node.value : undefined;
    if (typeof value === "number" && Number.isFinite(value) && value >= min && value <= max) return value;
    const of = unit ? ` of ${unit}` : "";
    this.ctx.d.error(`${key} must be a number${of} between ${min} and ${max}, got ${describe(node)}.`, node.pos, this.at(key));
    return undefined;
  }

  /** A mapping of environment variable names to text values. */
  env(key: string): Record<string, string> {
    const fields = this.mapping(key);
    const out: Record<string, string> = {};
    for (const { key: name, keyPos, value } of fields?.map.entries ?? []) {
      if (!ENV_NAME.test(name)) {
        this.ctx.d.error(
          `Environment variable name "${name}" must start with a letter or _ and contain only letters, digits and _.`,
          keyPos,
          [...this.at(key), name],
        );
        continue;
      }
      if (value.kind === "scalar" && value.value === null) {
        out[name] = "";
        continue;
      }
      const text = asString(this.ctx, value, [...this.at(key), name], `${key}.${name}`);
      if (text !== undefined) out[name] = text;
    }
    return out;
  }
}

/** The node as plain data, for values kept as written (matrix values, deploy settings). */
export function toPlain(node: SNode): unknown {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "seq") return node.items.map(toPlain);
  return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
}

export function isNull(node: SNode | undefined): boolean {
  return node === undefined || (node.kind === "scalar" && node.value === null);
}

/** `if:` as text; YAML booleans (`if: false`) are accepted as the expressions `true`/`false`. */
export function readCondition(f: Fields): string | undefined {
  const node = f.node("if");
  if (!node) return undefined;
  if (node.kind === "scalar" && typeof node.value === "boolean") return String(node.value);
  return f.string("if");
}

/** `{ [key]: value }` when value is defined, else `{}`, so optional fields stay absent rather than undefined. */
export function definedIf<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
