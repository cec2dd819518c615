import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, Scalar, visit } from "yaml";
import type { Node, Pair, YAMLMap, YAMLSeq } from "yaml";
import { commentLines } from "./comments";
import { insertEntries, layoutOf, removeRun, type SpliceCtx } from "./collections";
import { deepEqual, isPlainObject, keyOf, ownValue } from "./load";
import { quoteOf, renderAfterKey, renderBlock, renderInline, renderItem, type RenderHints } from "./render";
import { EditConflict, indentLines, lineEnd, skipTrivia } from "./text";

/**
 * Turns "the document should now hold this value" into the smallest set of text
 * splices: unchanged values keep their bytes, changed mappings and lists are
 * patched entry by entry, and only values that really differ are re-rendered.
 */

type Holder = { kind: "pair"; pair: Pair; parent: YAMLMap } | { kind: "item"; parent: YAMLSeq; index: number } | { kind: "root" };

export function reconcileRoot(ctx: SpliceCtx, next: unknown): void {
  const root = ctx.doc.contents;
  if (root && !(isScalar(root) && root.value === null)) return reconcile(ctx, root, next, { kind: "root" });
  // An empty file (only comments, or `~`): the pipeline replaces the null, or goes after the comments.
  const { text, style } = ctx;
  const [from, to] = root?.range ?? [text.length, text.length];
  const lead = from > 0 && text[from - 1] !== "\n" ? style.eol : "";
  const trail = from === to ? style.eol : "";
  ctx.edits.push({ from, to, insert: lead + renderBlock(next, style).join(style.eol) + trail });
}

function reconcile(ctx: SpliceCtx, node: unknown, next: unknown, holder: Holder): void {
  if (deepEqual(ownValue(node, ctx.doc, ctx.values), next)) return;
  if (isMap(node) && isPlainObject(next)) return reconcileMap(ctx, node, next, holder);
  if (next === null && holder.kind === "pair" && isCollection(node) && !node.flow && node.items.length > 0) {
    // `key:` with nothing under it is null: only the lines under the key go.
    node.items.forEach((item) => detachSubtree(ctx, item));
    return removeRun(ctx, node, 0, node.items.length - 1);
  }
  if (isSeq(node) && Array.isArray(next) && (node.flow || next.length > 0)) return reconcileSeq(ctx, node, next);
  replace(ctx, (node as Node | null) ?? null, next, holder);
}

function reconcileMap(ctx: SpliceCtx, map: YAMLMap, next: Record<string, unknown>, holder: Holder): void {
  const keys = map.items.map((pair) => keyOf(pair.key, ctx.doc));
  const kept = keys.map((key) => Object.prototype.hasOwnProperty.call(next, key));
  if (!kept.includes(true)) return replace(ctx, map, next, holder);
  detach(ctx, map);
  runs(kept, (i, j) => {
    for (let r = i; r <= j; r++) detachSubtree(ctx, map.items[r].value);
    removeRun(ctx, map, i, j);
  });
  map.items.forEach((pair, i) => {
    if (kept[i]) reconcile(ctx, pair.value, next[keys[i]], { kind: "pair", pair, parent: map });
  });
  // A new key goes right after the key that precedes it in `next`, so callers control placement.
  const groups = new Map<number, [string, unknown][]>();
  let anchor = -1;
  for (const key of Object.keys(next)) {
    const at = keys.indexOf(key);
    if (at >= 0) anchor = at;
    else groups.set(anchor, [...(groups.get(anchor) ?? []), [key, next[key]]]);
  }
  for (const [after, added] of groups) insertEntries(ctx, map, after, kept.indexOf(true), added);
}

function reconcileSeq(ctx: SpliceCtx, seq: YAMLSeq, next: unknown[]): void {
  detach(ctx, seq);
  const old = seq.items.map((item) => ownValue(item, ctx.doc, ctx.values));
  const hints: RenderHints = { quote: quoteOf(seq.items.find((item) => isScalar(item))) };
  let oi = 0;
  let ni = 0;
  // Between two unchanged items, old and new items pair up as edits; the rest are removed or added.
  for (const [mo, mn] of [...commonItems(old, next), [old.length, next.length]]) {
    const paired = Math.min(mo - oi, mn - ni);
    for (let t = 0; t < paired; t++) reconcile(ctx, seq.items[oi + t], next[ni + t], { kind: "item", parent: seq, index: oi + t });
    if (oi + paired < mo) {
      for (let r = oi + paired; r < mo; r++) detachSubtree(ctx, seq.items[r]);
      removeRun(ctx, seq, oi + paired, mo - 1);
    }
    const added = next.slice(ni + paired, mn);
    if (added.length > 0) insertEntries(ctx, seq, oi + paired - 1, mo, added, hints);
    oi = mo + 1;
    ni = mn + 1;
  }
}

/** Longest common subsequence of two small lists, as index pairs. */
function commonItems(a: unknown[], b: unknown[]): [number, number][] {
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

/** Calls `run(i, j)` for each maximal run of `false` in `flags`. */
function runs(flags: boolean[], run: (i: number, j: number) => void): void {
  for (let i = 0; i < flags.length; i++) {
    if (flags[i]) continue;
    let j = i;
    while (j + 1 < flags.length && !flags[j + 1]) j++;
    run(i, j);
    i = j;
  }
}

function replace(ctx: SpliceCtx, node: Node | null, next: unknown, holder: Holder, extra: RenderHints = {}): void {
  if (node) detachSubtree(ctx, node);
  const { text, style } = ctx;
  const inFlow = holder.kind !== "root" && holder.parent.flow === true;
  const hints: RenderHints = { quote: quoteOf(node), anchor: isAlias(node) ? undefined : node?.anchor, ...extra };
  if (isScalar(node) && node.type === Scalar.BLOCK_LITERAL && typeof next === "string" && replaceLiteralBody(ctx, node, next)) return;
  // An empty `{}` or `[]` has no style worth keeping: what replaces it is written as usual.
  const keepsFlow = isCollection(node) && node.flow === true && node.items.length > 0;
  const spliceable = isAlias(node) || (isScalar(node) && !isBlockScalar(node)) || keepsFlow;
  if (node?.range && (inFlow || spliceable) && holder.kind !== "root") {
    const flow = inFlow || keepsFlow;
    const inline = renderInline(next, style, { quote: hints.quote, flow, inFlow });
    if (inline !== undefined) {
      const [from, to] = node.range;
      // An empty value sits right after `key:` or `-` and needs a space before it.
      const lead = from === to && !/\s/.test(text[from - 1] ?? " ") ? " " : "";
      const props = isAlias(node) && extra.anchor ? `&${extra.anchor} ` : "";
      ctx.edits.push({ from, to, insert: lead + props + inline });
      return;
    }
  }
  if (inFlow) throw new EditConflict("a value that does not fit in a flow collection");
  if (holder.kind === "root") throw new EditConflict("a document that is not a mapping");
  const layout = layoutOf(ctx, holder.parent);
  const index = holder.kind === "pair" ? holder.parent.items.indexOf(holder.pair) : holder.index;
  const entry = layout.entries[index];
  const closes = text[entry.end - 1] === "\n" ? style.eol : "";
  // The new value starts right after `key:` or `-`, and takes every line up to the entry's end.
  let after = entry.textStart;
  let lines: string[];
  if (holder.kind === "pair") {
    after = skipTrivia(text, (holder.pair.key as Node).range?.[1] ?? entry.textStart);
    if (text[after] !== ":") throw new EditConflict("a key without a colon");
    lines = renderAfterKey(next, style, hints);
  } else {
    lines = renderItem(next, style, hints);
    lines[0] = lines[0].slice(1);
  }
  lines[0] += commentOnLine(text, after + 1, node);
  // Comments further down the old value are put back under the new one.
  const below = commentLines(text, lineEnd(text, after), entry.end, [node], layout.column, style.eol);
  const insert = indentLines(lines, layout.column, style.eol) + (below ? style.eol + below.slice(0, -style.eol.length) : "") + closes;
  ctx.edits.push({ from: after + 1, to: entry.end, insert });
}

/** A `# comment` ending the line where a re-rendered value starts; it stays on that line. */
function commentOnLine(text: string, from: number, node: Node | null): string {
  const stop = lineEnd(text, from);
  const valueEnd = node?.range && node.range[0] < stop ? node.range[1] : from;
  if (valueEnd >= stop) return "";
  const rest = text.slice(valueEnd, stop).replace(/\r?\n$/, "");
  return /^\s+#/.test(rest) ? rest : "";
}

function isBlockScalar(node: Scalar): boolean {
  return node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
}

/**
 * Rewrites only the body of a `|` script, at its own indentation and under its
 * own header, so changing one line of a script changes one line of YAML.
 * Declines (returns false) when the header would have to change.
 */
function replaceLiteralBody(ctx: SpliceCtx, node: Scalar, next: string): boolean {
  const { text, style } = ctx;
  const [from, to] = node.range ?? [0, 0];
  const bodyStart = lineEnd(text, from);
  const header = /^\|([+-]?)[ \t]*(#.*)?\r?\n?$/.exec(text.slice(from, bodyStart));
  const indent = /^( +)\S/m.exec(text.slice(bodyStart, to))?.[1];
  if (!header || header[1] === "+" || !indent || next.includes("\r")) return false;
  const strip = header[1] === "-";
  if (strip ? next.endsWith("\n") : !next.endsWith("\n") || next.endsWith("\n\n")) return false;
  const lines = (strip ? next : next.slice(0, -1)).split("\n");
  const first = lines.find((line) => line !== "");
  if (first === undefined || /^[ \t]/.test(first)) return false;
  const body = lines.map((line) => (line === "" ? "" : indent + line)).join(style.eol);
  ctx.edits.push({ from: bodyStart, to, insert: body + (text[to - 1] === "\n" ? style.eol : "") });
  return true;
}

/**
 * Before an anchored value changes or goes away, the first alias of it elsewhere
 * gets a copy of the old value under the same anchor name (YAML lets a later
 * anchor redefine an earlier one), so other jobs keep exactly what they had.
 */
function detach(ctx: SpliceCtx, node: Node): void {
  if (!node.anchor || !node.range || ctx.detached.has(node)) return;
  ctx.detached.add(node);
  const [start, end] = node.range;
  let site: { alias: Node; holder: Holder } | undefined;
  visit(ctx.doc, {
    Alias(key, alias, path) {
      const at = alias.range?.[0] ?? -1;
      if (alias.source !== node.anchor || (at >= start && at < end) || alias.resolve(ctx.doc) !== node) return undefined;
      const parent = path[path.length - 1];
      if (isPair(parent) && key === "value") {
        site = { alias, holder: { kind: "pair", pair: parent as Pair, parent: path[path.length - 2] as YAMLMap } };
      } else if (isSeq(parent) && typeof key === "number") {
        site = { alias, holder: { kind: "item", parent, index: key } };
      } else {
        throw new EditConflict("an alias used as a key");
      }
      return visit.BREAK;
    },
  });
  if (site) replace(ctx, site.alias, ownValue(node, ctx.doc), site.holder, { anchor: node.anchor });
}

function detachSubtree(ctx: SpliceCtx, node: unknown): void {
  if (!node || typeof node !== "object") return;
  visit(node as Node, {
    Node(_, inner) {
      detach(ctx, inner);
    },
  });
}
