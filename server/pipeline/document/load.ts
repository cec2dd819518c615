import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Pair, YAMLMap } from "yaml";

/** Where a problem is, 1-based, so the UI can point at the YAML. */
export interface PipelineError {
  message: string;
  line: number;
  column: number;
}

/** A parsed pipeline with the nodes the editor works on. */
export interface Loaded {
  text: string;
  doc: Document.Parsed;
  /** The `jobs` mapping; null when absent or empty (`jobs:`). */
  jobs: YAMLMap | null;
  /** Every job's settings with aliases and merge keys (`<<`) resolved, as the runner will see them. */
  merged: Record<string, Record<string, unknown>>;
  positionAt(offset: number): { line: number; column: number };
}

type LoadResult = { ok: true; loaded: Loaded } | { ok: false; error: PipelineError };

/** Same bound the pipeline reader uses against alias bombs ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/**
 * The last few texts read. An edit reads its input and re-reads its output to
 * check it, and the canvas then reads that output again: each text is parsed
 * once. Nothing here changes a parsed document (edits are text splices), so
 * sharing one is safe.
 */
const recent = new Map<string, LoadResult>();
const RECENT_SIZE = 4;

export function load(text: string): LoadResult {
  const cached = recent.get(text);
  if (cached) return cached;
  const result = parseText(text);
  recent.set(text, result);
  if (recent.size > RECENT_SIZE) recent.delete(recent.keys().next().value as string);
  return result;
}

function parseText(text: string): LoadResult {
  const lineCounter = new LineCounter();
  const positionAt = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  };
  const fail = (message: string, offset = 0): LoadResult => ({ ok: false, error: { message, ...positionAt(offset) } });
  // merge: true so `<<: *defaults` fills jobs in, like the pipeline reader does.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem) return fail(problem.message, problem.pos[0]);
  let plain: unknown;
  try {
    plain = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    return fail(`The pipeline expands YAML aliases (*name) more than ${MAX_ALIAS_COUNT} times.`);
  }
  const contents = doc.contents;
  if (contents !== null && !isMap(contents) && !(isScalar(contents) && contents.value === null)) {
    return fail("A pipeline must be a mapping of keys such as on, env and jobs.", contents.range?.[0]);
  }
  const root = isMap(contents) ? contents : null;
  const jobsPair = root?.items.find((pair) => keyOf(pair.key, doc) === "jobs");
  const jobsNode = jobsPair?.value ?? null;
  if (jobsNode !== null && !isMap(jobsNode) && !(isScalar(jobsNode) && jobsNode.value === null)) {
    return fail("jobs must be a mapping of job ids to jobs.", (jobsNode as { range?: number[] }).range?.[0]);
  }
  const jobs = isMap(jobsNode) ? jobsNode : null;
  const mergedJobs = ((plain as Record<string, unknown> | null)?.jobs ?? {}) as Record<string, unknown>;
  const merged: Loaded["merged"] = {};
  for (const pair of jobs?.items ?? []) {
    const id = keyOf(pair.key, doc);
    // Would replace the prototype of the objects jobs are read into.
    if (id === "__proto__") return fail('The job id "__proto__" is not allowed.', nodeStart(pair));
    const body = mergedJobs[id] ?? {};
    if (!isScalar(pair.key) || typeof body !== "object" || Array.isArray(body)) {
      return fail(`Job "${id}" must be a mapping of settings such as steps and needs.`, nodeStart(pair));
    }
    merged[id] = body as Record<string, unknown>;
  }
  return { ok: true, loaded: { text, doc, jobs, merged, positionAt } };
}

function nodeStart(pair: Pair): number | undefined {
  return (pair.key as { range?: number[] } | null)?.range?.[0];
}

/** A mapping key as text; yaml represents a merge key as a symbol. */
export function keyOf(key: unknown, doc: Document): string {
  const node = isAlias(key) ? key.resolve(doc) : key;
  if (!isScalar(node)) return String(node);
  return typeof node.value === "symbol" ? "<<" : String(node.value);
}

export function jobPair(loaded: Loaded, id: string): Pair | undefined {
  return loaded.jobs?.items.find((pair) => keyOf(pair.key, loaded.doc) === id);
}

/** `needs` as written (one id or a list) as a list of ids. */
export function needsList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((item): item is string => typeof item === "string");
}

/**
 * A node as plain data the way it is written: aliases resolved, merge keys kept
 * as `<<` entries. Without a cache every call builds fresh objects, so two
 * aliases of one anchor never share an object that an edit could change through
 * both; with one, values are shared and must only be read (for comparisons).
 */
export function ownValue(node: unknown, doc: Document, cache?: Map<unknown, unknown>): unknown {
  // Anchors seen so far in document order, which is how YAML resolves an alias
  // (to the latest definition before it); yaml's Alias.resolve walks the whole
  // document per alias instead.
  const anchors = new Map<string, unknown>();
  const walk = (current: unknown, depth: number, expanding: boolean): unknown => {
    if (cache?.has(current)) return cache.get(current);
    if (depth > 200) throw new RangeError("YAML nests too deeply");
    if (!expanding && isNode(current) && current.anchor) anchors.set(current.anchor, current);
    let value: unknown = null;
    if (isScalar(current)) value = current.value;
    else if (isAlias(current)) value = walk(anchors.get(current.source) ?? current.resolve(doc), depth + 1, true);
    else if (isMap(current)) {
      const out: Record<string, unknown> = {};
      for (const pair of current.items) {
        if (!expanding && isNode(pair.key) && pair.key.anchor) anchors.set(pair.key.anchor, pair.key);
        setOwn(out, keyOf(pair.key, doc), walk(pair.value, depth + 1, expanding));
      }
      value = out;
    } else if (isSeq(current)) value = current.items.map((item) => walk(item, depth + 1, expanding));
    cache?.set(current, value);
    return value;
  };
  return walk(node, 0, false);
}

/** Sets a key without ever touching Object.prototype (a key may be `__proto__`). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && deepEqual(a[key], b[key]))
  );
}

/** Longest common subsequence of two small lists, as index pairs. */
export function commonItems(a: unknown[], b: unknown[]): [number, number][] {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = deepEqual(a[i], b[j]) ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out: [number, number][] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (deepEqual(a[i], b[j]) && table[i][j] === table[i + 1][j + 1] + 1) out.push([i++, j++]);
    else if (table[i + 1][j] >= table[i][j + 1]) i++;
    else j++;
  }
  return out;
}
