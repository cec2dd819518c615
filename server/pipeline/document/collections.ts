import { isCollection, isMap, isPair } from "yaml";
import type { Document, Node, Pair, YAMLMap, YAMLSeq } from "yaml";
import { commentLines } from "./comments";
import { renderFlowPair, renderInline, renderItem, renderPair, type RenderHints, type Style } from "./render";
import {
  column,
  EditConflict,
  hasMultiline,
  indentLines,
  isBlankLine,
  lineEnd,
  lineStart,
  NeedsBlock,
  nodeLinesEnd,
  skipTrivia,
  startsLine,
  type TextEdit,
} from "./text";

/** What splicing needs: the original text, where edits collect, and the file's style. */
export interface SpliceCtx {
  text: string;
  doc: Document;
  style: Style;
  edits: TextEdit[];
  layouts: Map<YAMLMap | YAMLSeq, Layout>;
  /** Each node's plain value, computed once, for comparisons only. */
  values: Map<unknown, unknown>;
  /** Anchored nodes whose aliases already got their own copy. */
  detached: Set<Node>;
  /** Pairs removed from this map take the comment lines directly above them along (a deleted job's comment). */
  commentsGoWith?: YAMLMap | null;
  /**
   * Multi-line strings may be written inside flow collections, double-quoted
   * on one line. Off at first: such a string turns its flow collection into
   * block style instead (see NeedsBlock).
   */
  inlineMultiline?: boolean;
}

/**
 * Where each entry of a collection sits in the text. Block entries span whole
 * lines (from the line of their key or dash to the end of their last line);
 * flow entries span exactly their text, separators excluded.
 */
interface Entry {
  start: number;
  end: number;
  /** The key, the dash of a block item, or the item itself in flow. */
  textStart: number;
}

interface Layout {
  flow: boolean;
  entries: Entry[];
  column: number;
  /** The first key shares its line with a dash (`- name: x`), so it cannot be cut as a whole line. */
  inlineFirst: boolean;
}

type Coll = YAMLMap | YAMLSeq;

function range(node: unknown): [number, number] {
  const found = (node as Node | null)?.range;
  if (!found) throw new EditConflict("a YAML node without a position");
  return [found[0], found[1]];
}

/**
 * Where a node's own text ends. yaml ends a block collection where the next
 * thing starts, past trailing comments and the next line's indentation, so the
 * end is taken from its last item instead.
 */
function contentEnd(node: unknown): number {
  if (isCollection(node) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1];
    return isPair(last) ? contentEnd(last.value ?? last.key) : contentEnd(last);
  }
  return range(node)[1];
}

/** Key start and value end of a mapping entry. */
function pairSpan(pair: Pair): [number, number] {
  const [start, keyEnd] = range(pair.key);
  return [start, pair.value ? contentEnd(pair.value) : keyEnd];
}

/** Comment lines right under an entry and indented deeper belong to it (commented-out steps). */
function withDeeperComments(text: string, end: number, indent: number): number {
  let at = end;
  while (at < text.length) {
    const line = text.slice(at, lineEnd(text, at));
    const body = line.trimStart();
    if (!body.startsWith("#") || line.length - body.length <= indent) break;
    at = lineEnd(text, at);
  }
  return at;
}

export function layoutOf(ctx: SpliceCtx, coll: Coll): Layout {
  const cached = ctx.layouts.get(coll);
  if (cached) return cached;
  const { text } = ctx;
  const items = coll.items as unknown[];
  let layout: Layout;
  if (coll.flow) {
    const entries = items.map((item) => {
      if (isPair(item) && !isMap(coll)) throw new EditConflict("a key inside a flow list");
      const [start, end] = isPair(item) ? pairSpan(item) : range(item);
      return { start, end, textStart: start };
    });
    layout = { flow: true, entries, column: 0, inlineFirst: false };
  } else if (isMap(coll)) {
    const starts = coll.items.map((pair) => pairSpan(pair));
    const indent = column(text, starts[0]?.[0] ?? 0);
    const entries = starts.map(([keyStart, valueEnd]) => ({
      start: startsLine(text, keyStart) ? lineStart(text, keyStart) : keyStart,
      end: withDeeperComments(text, nodeLinesEnd(text, valueEnd), indent),
      textStart: keyStart,
    }));
    layout = { flow: false, entries, column: indent, inlineFirst: starts.length > 0 && !startsLine(text, starts[0][0]) };
  } else {
    const dash0 = range(coll)[0];
    const indent = column(text, dash0);
    const entries: Entry[] = [];
    items.forEach((item, index) => {
      const dash = index === 0 ? dash0 : skipTrivia(text, entries[index - 1].end);
      if (text[dash] !== "-" || !startsLine(text, dash)) throw new EditConflict("a list item that does not start its line");
      const end = withDeeperComments(text, nodeLinesEnd(text, contentEnd(item)), indent);
      entries.push({ start: lineStart(text, dash), end, textStart: dash });
    });
    layout = { flow: false, entries, column: indent, inlineFirst: false };
  }
  ctx.layouts.set(coll, layout);
  return layout;
}

function edit(ctx: SpliceCtx, from: number, to: number, insert: string): void {
  ctx.edits.push({ from, to, insert });
}

/** Removes entries i..j (one run), keeping the separators and blank lines around them tidy. */
export function removeRun(ctx: SpliceCtx, coll: Coll, i: number, j: number): void {
  const { text } = ctx;
  const { flow, entries, inlineFirst, column: indent } = layoutOf(ctx, coll);
  if (flow) {
    if (j + 1 < entries.length) edit(ctx, entries[i].start, entries[j + 1].start, "");
    else if (i > 0) edit(ctx, entries[i - 1].end, entries[j].end, "");
    else {
      // Everything goes: a trailing comma (`[a, b,]`) must go too, or `[,]` is left.
      const comma = /^\s*,/.exec(text.slice(entries[j].end, entries[j].end + 200));
      edit(ctx, entries[0].start, entries[j].end + (comma ? comma[0].length : 0), "");
    }
    return;
  }
  if (i === 0 && inlineFirst) {
    // `- name: x⏎  run: y` loses `name: x⏎  `, so `run` moves up beside the dash.
    edit(ctx, entries[0].textStart, entries[j + 1].textStart, "");
    return;
  }
  let from = entries[i].start;
  let to = entries[j].end;
  if (ctx.commentsGoWith === coll) from = commentLinesAbove(text, from, indent);
  // Blank lines separating the removed entries from their neighbours: one run of them stays.
  // A `|+` value owns the blank lines that end it, and would take in any that came to follow it.
  const floor = i > 0 ? entries[i - 1].end : from;
  const blankBefore = (at: number) => at > floor && isBlankLine(text, lineStart(text, at - 1));
  const blankAfter = to < text.length && isBlankLine(text, to);
  const last = j === entries.length - 1;
  if ((i === 0 && !last) || (from === floor && endsBlank(text, floor))) {
    while (to < text.length && isBlankLine(text, to)) to = lineEnd(text, to);
  } else if (blankBefore(from) && (blankAfter || to >= text.length || last)) {
    while (blankBefore(from)) from = lineStart(text, from - 1);
  }
  const keep = ctx.commentsGoWith === coll ? "" : commentLines(text, from, to, coll.items.slice(i, j + 1), indent, ctx.style.eol);
  edit(ctx, from, to, keep);
}

/** True when the line ending at `end` is blank (only a `|+` value's last lines are). */
function endsBlank(text: string, end: number): boolean {
  return end > 0 && isBlankLine(text, lineStart(text, end - 1));
}

function commentLinesAbove(text: string, start: number, indent: number): number {
  let from = start;
  while (from > 0) {
    const previous = lineStart(text, from - 1);
    const line = text.slice(previous, from);
    const body = line.trimStart();
    if (!body.startsWith("#") || line.length - body.length !== indent) break;
    from = previous;
  }
  return from;
}

/** A new entry of a collection: `[key, value]` for mappings, the value for lists. */
type NewEntry = unknown;

function flowText(ctx: SpliceCtx, coll: Coll, entry: NewEntry, hints: RenderHints): string {
  const value = isMap(coll) ? (entry as [string, unknown])[1] : entry;
  if (!ctx.inlineMultiline && hasMultiline(value)) throw new NeedsBlock("a multi-line string in a flow collection");
  let out: string | undefined;
  if (isMap(coll)) {
    const [key] = entry as [string, unknown];
    out = renderFlowPair(key, value, ctx.style, hints);
  } else out = renderInline(entry, ctx.style, { ...hints, inFlow: true });
  if (out === undefined || out === "") throw new NeedsBlock("a value that does not fit in a flow collection");
  return out;
}

function blockLines(ctx: SpliceCtx, coll: Coll, entry: NewEntry, hints: RenderHints): string[] {
  if (isMap(coll)) {
    const [key, value] = entry as [string, unknown];
    return renderPair(key, value, ctx.style, hints);
  }
  return renderItem(entry, ctx.style, hints);
}

function flowSeparator(ctx: SpliceCtx, entries: Entry[]): string {
  const n = entries.length;
  const between = n >= 2 ? ctx.text.slice(entries[n - 2].end, entries[n - 1].textStart) : "";
  return /^\s*,\s*$/.test(between) ? between : ", ";
}

/** True when the entries of a block collection are separated by blank lines (jobs often are). */
function blankSeparated(text: string, entries: Entry[]): boolean {
  return entries.length >= 2 && entries[1].start > 0 && isBlankLine(text, lineStart(text, entries[1].start - 1));
}

/** Inserts entries after entry `after`, or before entry `before` when `after` is -1. */
export function insertEntries(ctx: SpliceCtx, coll: Coll, after: number, before: number, added: NewEntry[], hints: RenderHints = {}): void {
  const { text, style } = ctx;
  const { flow, entries, inlineFirst, column: indent } = layoutOf(ctx, coll);
  if (flow) {
    const sep = flowSeparator(ctx, entries);
    const rendered = added.map((entry) => flowText(ctx, coll, entry, hints));
    if (after >= 0) edit(ctx, entries[after].end, entries[after].end, rendered.map((r) => sep + r).join(""));
    else if (before < entries.length) edit(ctx, entries[before].textStart, entries[before].textStart, rendered.map((r) => r + sep).join(""));
    else {
      const open = range(coll)[0];
      if (text[open] !== "[" && text[open] !== "{") throw new EditConflict("an empty flow collection without brackets");
      edit(ctx, open + 1, open + 1, rendered.join(sep));
    }
    return;
  }
  const eol = style.eol;
  const blank = blankSeparated(text, entries) ? eol : "";
  const lines = added.map((entry) => blockLines(ctx, coll, entry, hints));
  if (after >= 0) {
    const at = entries[after].end;
    const open = at > 0 && text[at - 1] !== "\n";
    const blocks = lines.map((l) => indentLines(l, indent, eol, 0));
    const gap = endsBlank(text, at) ? "" : blank;
    edit(ctx, at, at, open ? blocks.map((b) => eol + gap + b).join("") : blocks.map((b, k) => (k === 0 ? gap : blank) + b + eol).join(""));
  } else if (before === 0 && inlineFirst) {
    const pad = " ".repeat(indent);
    const at = entries[0].textStart;
    edit(ctx, at, at, lines.map((l) => indentLines(l, indent, eol, 1) + eol + pad).join(""));
  } else {
    const at = entries[before].start;
    edit(ctx, at, at, lines.map((l) => indentLines(l, indent, eol, 0) + eol + blank).join(""));
  }
}
