import { isMap, isScalar, parse, parseDocument, Parser } from "yaml";

/**
 * Helpers for this folder's tests. They read YAML with yaml's own parse and
 * CST, never with the code under test, so the tests check it from outside.
 */

export type Plain = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The document as plain data (`yaml.parse`, merge keys kept as `<<`), aliases copied rather than shared. */
export function plainOf(text: string): Plain {
  return JSON.parse(JSON.stringify(parse(text) ?? {})) as Plain;
}

/** Lines removed plus lines added, by a longest-common-subsequence line diff. */
export function changedLines(before: string, after: string): number {
  const a = before.split("\n");
  const b = after.split("\n");
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  return a.length + b.length - 2 * table[0][0];
}

export interface CommentToken {
  offset: number;
  source: string;
}

/** Every `# comment`, from yaml's concrete syntax tree. */
export function commentsOf(text: string): CommentToken[] {
  const out: CommentToken[] = [];
  const walk = (token: unknown): void => {
    if (Array.isArray(token)) token.forEach(walk);
    else if (token && typeof token === "object") {
      const t = token as { type?: string; offset?: number; source?: string };
      if (t.type === "comment") out.push({ offset: t.offset ?? 0, source: (t.source ?? "").trimEnd() });
      else Object.values(token).forEach(walk);
    }
  };
  for (const token of new Parser().parse(text)) walk(token);
  return out;
}

/** Comments of `before` missing from `after` (as a multiset), except those in `[from, to)` of `before`. */
export function lostComments(before: string, after: string, allowed?: [number, number]): string[] {
  const left = new Map<string, number>();
  for (const { source } of commentsOf(after)) left.set(source, (left.get(source) ?? 0) + 1);
  const lost: string[] = [];
  for (const { offset, source } of commentsOf(before)) {
    const count = left.get(source) ?? 0;
    if (count > 0) left.set(source, count - 1);
    else if (!allowed || offset < allowed[0] || offset >= allowed[1]) lost.push(source);
  }
  return lost;
}

/**
 * The text a job owns, for "comments survive unless their job is deleted": its
 * lines, the comment lines right above its id, up to the next job's own comments.
 */
export function jobRegion(text: string, id: string): [number, number] {
  const doc = parseDocument(text);
  const jobs = doc.get("jobs", true);
  if (!isMap(jobs)) return [0, 0];
  const starts = jobs.items.map((pair) => commentStart(text, (pair.key as { range: number[] }).range[0]));
  const index = jobs.items.findIndex((pair) => isScalar(pair.key) && String(pair.key.value) === id);
  return [starts[index], index + 1 < starts.length ? starts[index + 1] : text.length];
}

function commentStart(text: string, keyOffset: number): number {
  let start = text.lastIndexOf("\n", keyOffset - 1) + 1;
  while (start > 0) {
    const previous = text.lastIndexOf("\n", start - 2) + 1;
    if (!text.slice(previous, start).trim().startsWith("#")) break;
    start = previous;
  }
  return start;
}

export function needsOf(job: unknown): string[] {
  const needs = (job as Plain | null)?.needs;
  return (needs === undefined || needs === null ? [] : [needs].flat()).map(String).sort();
}

/** A copy without the given jobs' `needs`, to compare "everything else". */
export function withoutNeeds(doc: Plain, ids: string[]): Plain {
  const copy = structuredClone(doc);
  for (const id of ids) if (copy.jobs?.[id]) delete copy.jobs[id].needs;
  return copy;
}

/** target -> source edges read with yaml (merge keys applied), as "source>target" strings. */
export function edgesOf(text: string): string[] {
  const jobs = ((parse(text, { merge: true }) ?? {}).jobs ?? {}) as Plain;
  const out: string[] = [];
  for (const [target, job] of Object.entries(jobs)) {
    for (const source of new Set(needsOf(job))) if (source in jobs) out.push(`${source}>${target}`);
  }
  return out.sort();
}

/** True when `to` can be reached from `from` along source>target edges. */
export function reaches(edges: string[], from: string, to: string): boolean {
  const seen = new Set([from]);
  const stack = [from];
  while (stack.length > 0) {
    const at = stack.pop() as string;
    if (at === to) return true;
    for (const edge of edges) {
      const [source, target] = edge.split(">");
      if (source === at && !seen.has(target)) {
        seen.add(target);
        stack.push(target);
      }
    }
  }
  return false;
}
