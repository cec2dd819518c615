import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, Scalar, visit } from "yaml";
import type { Node, Pair, YAMLMap, YAMLSeq } from "yaml";
import { commentLines } from "./comments";
import { blockBody, type Detacher } from "./block-style";
import { insertEntries, layoutOf, removeRun, type SpliceCtx } from "./collections";
import { commonItems, deepEqual, isPlainObject, keyOf, ownValue } from "./load";
import { quoteOf, renderAfterKey, renderBlock, renderInline, renderItem, type RenderHints } from "./render";
import { EditConflict, hasMultiline, indentLines, lineEnd, NeedsBlock, skipTrivia } from "./text";

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
  if (holder.kind !== "root" && !holder.parent.flow && isCollection(node) && node.flow && !ctx.inlineMultiline) {
    // A flow collection in block context: patched in place, unless something in it cannot be written in flow.
    const edits = ctx.edits.length;
    const detached = new Set(ctx.detached);
    try {
      return reconcileValue(ctx, node, next, holder);
    } catch (error) {
      if (!(error instanceof NeedsBlock)) throw error;
      ctx.edits.length = edits;
      ctx.detached = detached;
      return toBlock(ctx, node, next, holder);
    }
  }
  reconcileValue(ctx, node, next, holder);
}

function reconcileValue(ctx: SpliceCtx, node: unknown, next: unknown, holder: Holder): void {
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
  const multiline = hasMultiline(next) && !ctx.inlineMultiline;
  if (inFlow && multiline) throw new NeedsBlock("a multi-line string in a flow collection");
  // A multi-line string reads best as a `|` block, whatever quotes the value it replaces had.
  const quote = typeof next === "string" && hasMultiline(next) ? undefined : quoteOf(node);
  const hints: RenderHints = { quote, anchor: isAlias(node) ? undefined : node?.anchor, ...extra };
  if (isScalar(node) && node.type === Scalar.BLOCK_LITERAL && typeof next === "string" && replaceLiteralBody(ctx, node, next)) return;
  // An empty `{}` or `[]` has no style worth keeping: what replaces it is written as usual; nor has
  // one whose new value holds a multi-line string, which flow could only show as escapes.
  const keepsFlow = isCollection(node) && node.flow === true && node.items.length > 0 && !multiline;
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
  if (inFlow) throw new NeedsBlock("a value that does not fit in a flow collection");
  if (holder.kind === "root") throw new EditConflict("a document that is not a mapping");
  spliceValue(ctx, node, holder, holder.kind === "pair" ? renderAfterKey(next, style, hints) : renderItem(next, style, hints).map((line, i) => (i === 0 ? line.slice(1) : line)));
}

/**
 * Writes a block value in place of `node`'s: right after `key:` or `-`, over
 * every line up to the entry's end. `lines` are what follows the colon or dash,
 * then the value's lines relative to the key's or dash's column.
 */
function spliceValue(ctx: SpliceCtx, node: Node | null, holder: Exclude<Holder, { kind: "root" }>, lines: string[], commentsFrom?: number): void {
  const { text, style } = ctx;
  const layout = layoutOf(ctx, holder.parent);
  const index = holder.kind === "pair" ? holder.parent.items.indexOf(holder.pair) : holder.index;
  const entry = layout.entries[index];
  const closes = text[entry.end - 1] === "\n" ? style.eol : "";
  let after = entry.textStart;
  if (holder.kind === "pair") {
    after = skipTrivia(text, (holder.pair.key as Node).range?.[1] ?? entry.textStart);
    if (text[after] !== ":") throw new EditConflict("a key without a colon");
  }
  const trailing = commentOnLine(text, after + 1, node);
  // Comments further along the old value (inside a flow collection too) are put back under the new one.
  const from = Math.max(commentsFrom ?? after + 1, trailing ? lineEnd(text, after) : 0);
  const below = commentLines(text, from, entry.end, [node], layout.column, style.eol);
  const first = [lines[0] + trailing, ...lines.slice(1)];
  const insert = indentLines(first, layout.column, style.eol) + (below ? style.eol + below.slice(0, -style.eol.length) : "") + closes;
  ctx.edits.push({ from: after + 1, to: entry.end, insert });
}

/** A flow collection in block context rewritten in block style (see block-style.ts). */
function toBlock(ctx: SpliceCtx, node: YAMLMap | YAMLSeq, next: unknown, holder: Exclude<Holder, { kind: "root" }>): void {
  const { text, style } = ctx;
  const [start, end] = node.range ?? [0, 0];
  // Comments inside the brackets (`[ # why⏎ {run: x} ]`) open the block; those after it stay after it.
  const inside = commentLines(text, start, end, [node], 0, style.eol)
    .split(style.eol)
    .filter((line) => line !== "")
    .map((line) => line.trim());
  const body = [...inside, ...blockBody(ctx, node, next, detacher(ctx))];
  if (body.length === inside.length) throw new EditConflict("an empty value in block style");
  const pad = (lines: string[], by: number) => lines.map((line) => (line === "" ? line : " ".repeat(by) + line));
  const props = node.anchor ? ` &${node.anchor}` : "";
  if (holder.kind === "pair") {
    const by = isSeq(node) && !style.indentSeq ? 0 : style.indent;
    return spliceValue(ctx, node, holder, [props, ...pad(body, by)], end);
  }
  const lines = props || inside.length > 0 ? [props, ...pad(body, 2)] : [` ${body[0]}`, ...pad(body.slice(1), 2)];
  spliceValue(ctx, node, holder, lines, end);
}

function detacher(ctx: SpliceCtx): Detacher {
  return { detach: (node) => detach(ctx, node), detachSubtree: (node) => detachSubtree(ctx, node) };
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
