import { Document, isCollection, isMap, isScalar, isSeq, Pair, Scalar, visit, YAMLMap, YAMLSeq } from "yaml";
import type { Node, ToStringOptions } from "yaml";
import { column } from "./text";

/**
 * How this particular file is written, so text we add looks like its neighbours:
 * line ending, indent step, whether block lists are indented under their key, and
 * whether flow collections are padded (`[ a ]`).
 */
export interface Style {
  eol: string;
  indent: number;
  indentSeq: boolean;
  flowPadding: boolean;
}

export function detectStyle(text: string, doc: Document, focus?: Node | null): Style {
  const style: Style = { eol: text.includes("\r\n") ? "\r\n" : "\n", indent: 0, indentSeq: true, flowPadding: false };
  let seenSeq = false;
  let seenFlow = false;
  const done = () => style.indent > 0 && seenSeq && seenFlow;
  // A plain walk, cheaper than yaml's visit (this runs on every edit), stopping once all is known.
  const walk = (node: unknown): void => {
    if (done() || !isCollection(node) || !node.range) return;
    if (node.flow) {
      if (!seenFlow && node.items.length > 0) {
        seenFlow = true;
        style.flowPadding = text[node.range[0] + 1] === " ";
      }
    } else if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const value = pair.value as Node | null;
        if (key?.range && isCollection(value) && value.range && !value.flow && value.items.length > 0) {
          const keyColumn = column(text, key.range[0]);
          const first = isMap(value) ? (value.items[0].key as Node | null)?.range : undefined;
          if (first && style.indent === 0 && column(text, first[0]) > keyColumn) style.indent = column(text, first[0]) - keyColumn;
          if (isSeq(value) && !seenSeq) {
            seenSeq = true;
            style.indentSeq = column(text, value.range[0]) > keyColumn;
          }
        }
        walk(value);
      }
      return;
    }
    for (const item of node.items) walk(item);
  };
  // The part being edited (the jobs) speaks first: files often indent `on:` and `jobs:` differently.
  if (focus) walk(focus);
  walk(doc.contents);
  if (style.indent === 0) style.indent = 2;
  return style;
}

function options(style: Style): ToStringOptions {
  return {
    indent: style.indent,
    indentSeq: style.indentSeq,
    lineWidth: 0,
    minContentWidth: 0,
    flowCollectionPadding: style.flowPadding,
  };
}

export interface RenderHints {
  /** Quote style to reuse for strings (a neighbour's `"double"` or `'single'`). */
  quote?: Scalar.Type;
  /** Anchor to put on the rendered value, when an alias is turned back into a value. */
  anchor?: string;
  /** Write every collection in flow style, as inside `[...]` or where the old value was flow. */
  flow?: boolean;
}

const KEEPS_BLANK_END = /(^|\n)[ \t]*\r?\n$/;

/**
 * Lists of plain values read best inline (`needs: [a, b]`, `node: [18, 20]`),
 * everything else as blocks, which is how people write pipelines by hand.
 */
function build(doc: Document, value: unknown, hints: RenderHints): Node {
  const node = doc.createNode(value, { aliasDuplicateObjects: false }) as Node;
  visit(node, {
    Seq(_, seq) {
      if (hints.flow || seq.items.every((item) => isScalar(item))) seq.flow = true;
    },
    Map(_, map) {
      if (hints.flow) map.flow = true;
    },
    Scalar(key, scalar) {
      if (hints.quote && key !== "key" && typeof scalar.value === "string") scalar.type = hints.quote;
      // In flow, only a double-quoted string keeps its line breaks on one line (as `\n`). A string ending
      // in blank lines would be a `|+` block, which takes in the blank lines that follow it in the file.
      if (typeof scalar.value === "string" && ((hints.flow && /[\r\n]/.test(scalar.value)) || KEEPS_BLANK_END.test(scalar.value))) {
        scalar.type = Scalar.QUOTE_DOUBLE;
      }
    },
  });
  if (hints.anchor) node.anchor = hints.anchor;
  return node;
}

/**
 * Rendering follows YAML 1.1's quoting rules, which quote `yes`, `on` and
 * friends: the same data under 1.2, and unambiguous to 1.1 tools too.
 */
function renderDoc(): Document {
  return new Document(undefined, { version: "1.1" });
}

function lines(doc: Document, style: Style): string[] {
  return doc.toString(options(style)).replace(/\n$/, "").split("\n");
}

/** One line of YAML for `value`, or undefined when it only fits on several lines. */
export function renderInline(value: unknown, style: Style, hints: RenderHints & { inFlow?: boolean } = {}): string | undefined {
  const doc = renderDoc();
  const node = build(doc, value, { ...hints, flow: hints.flow || hints.inFlow });
  if (!hints.inFlow) {
    // A block mapping or list can be one line long (`a: 1`) and still not fit after a key.
    if (isCollection(node) && !node.flow && node.items.length > 0) return undefined;
    doc.contents = node;
    const out = lines(doc, style);
    return out.length === 1 ? out[0] : undefined;
  }
  // Rendered inside a one-item flow list so yaml quotes what flow context requires.
  const seq = new YAMLSeq();
  seq.flow = true;
  seq.items.push(node);
  doc.contents = seq;
  const pad = style.flowPadding ? 2 : 1;
  const out = lines(doc, style);
  return out.length === 1 ? out[0].slice(pad, -pad) : undefined;
}

/** `key: value` inside a flow mapping, or undefined when it only fits on several lines. */
export function renderFlowPair(key: string, value: unknown, style: Style, hints: RenderHints = {}): string | undefined {
  const inner = renderInline(Object.fromEntries([[key, value]]), style, { ...hints, flow: true });
  const pad = style.flowPadding ? 2 : 1;
  return inner?.slice(pad, -pad);
}

/** Lines of `key: value` in block context, relative to the key's column. */
export function renderPair(key: string, value: unknown, style: Style, hints: RenderHints = {}): string[] {
  const doc = renderDoc();
  const map = new YAMLMap();
  map.items.push(new Pair(doc.createNode(key), build(doc, value, hints)));
  doc.contents = map;
  return lines(doc, style);
}

/** Lines of `- value` in a block list, relative to the dash's column. */
export function renderItem(value: unknown, style: Style, hints: RenderHints = {}): string[] {
  const doc = renderDoc();
  const seq = new YAMLSeq();
  seq.items.push(build(doc, value, hints));
  doc.contents = seq;
  return lines(doc, style);
}

/** Lines of a whole document holding `value`. */
export function renderBlock(value: unknown, style: Style): string[] {
  const doc = renderDoc();
  doc.contents = build(doc, value, {});
  return lines(doc, style);
}

/** What follows `key:` when `value` is written as a block under a key (` |`, ` [a]`, or nothing before the nested lines). */
export function renderAfterKey(value: unknown, style: Style, hints: RenderHints = {}): string[] {
  const out = renderPair("k", value, style, hints);
  out[0] = out[0].slice("k:".length);
  return out;
}

/** The quote style of a scalar node, when it is quoted. */
export function quoteOf(node: unknown): Scalar.Type | undefined {
  if (!isScalar(node)) return undefined;
  return node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? node.type : undefined;
}
