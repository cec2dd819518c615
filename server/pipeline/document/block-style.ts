import { isAlias, isCollection, isMap, isNode, isSeq } from "yaml";
import type { Node, Pair, YAMLMap, YAMLSeq } from "yaml";
import type { SpliceCtx } from "./collections";
import { commonItems, deepEqual, isPlainObject, keyOf, ownValue } from "./load";
import { quoteOf, renderItem, renderPair, type RenderHints } from "./render";
import { hasMultiline } from "./text";

/**
 * A flow collection turned into block style, for a value that cannot be
 * written inside `[...]` or `{...}` as people read it: a multi-line script in
 * `steps: [{ run: make }]` becomes
 *
 *     steps:
 *       - run: |-
 *           npm ci
 *           npm run build
 *
 * Only the collections on the way to such a value change style. Entries whose
 * value stays keep their text as written (`needs: [a, b]`, `name: 'Build'`,
 * `- { uses: checkout }`), so the conversion is as small as it can be.
 */

/** What must happen to old nodes whose text goes (reconcile.ts: anchors are handed to their aliases first). */
export interface Detacher {
  detach(node: Node): void;
  detachSubtree(node: unknown): void;
}

type Coll = YAMLMap | YAMLSeq;

/** Same kind of collection, and not empty: only then does a flow collection become a block one. */
function convertible(node: unknown, next: unknown): node is Coll {
  if (!isCollection(node) || !node.flow || !hasMultiline(next)) return false;
  if (isMap(node)) return isPlainObject(next) && Object.keys(next).length > 0;
  return Array.isArray(next) && next.length > 0;
}

/**
 * The lines of flow collection `node` written in block style to hold `next`,
 * relative to column 0 (a mapping's first line is its first key, a list's its
 * first dash). `next` is of the node's kind and not empty.
 */
export function blockBody(ctx: SpliceCtx, node: Coll, next: unknown, detacher: Detacher): string[] {
  detacher.detach(node);
  if (isMap(node)) {
    const pairs = new Map(node.items.map((pair) => [keyOf(pair.key, ctx.doc), pair]));
    return Object.entries(next as Record<string, unknown>).flatMap(([key, value]) => blockPair(ctx, pairs.get(key), key, value, detacher));
  }
  const items = node.items as unknown[];
  const list = next as unknown[];
  const old = items.map((item) => ownValue(item, ctx.doc, ctx.values));
  const out: string[] = [];
  let oi = 0;
  let ni = 0;
  // As in reconcileSeq: unchanged items stay, old and new items between them pair up, the rest go or come.
  for (const [mo, mn] of [...commonItems(old, list), [old.length, list.length]]) {
    for (let j = ni; j < mn; j++) {
      const paired = oi + (j - ni) < mo ? items[oi + (j - ni)] : undefined;
      out.push(...blockItem(ctx, paired, list[j], detacher));
    }
    for (let r = oi + (mn - ni); r < mo; r++) detacher.detachSubtree(items[r]);
    if (mn < list.length) out.push(...blockItem(ctx, items[mo], list[mn], detacher));
    oi = mo + 1;
    ni = mn + 1;
  }
  return out;
}

const indented = (lines: string[], pad: string) => lines.map((line) => (line === "" ? line : pad + line));

/** A multi-line string is written as a `|` block, whatever quotes the old value had. */
function hintsFor(old: unknown, value: unknown): RenderHints {
  const multiline = typeof value === "string" && hasMultiline(value);
  return { quote: multiline ? undefined : quoteOf(old), anchor: isNode(old) && !isAlias(old) ? (old.anchor ?? undefined) : undefined };
}

function blockPair(ctx: SpliceCtx, pair: Pair | undefined, key: string, value: unknown, detacher: Detacher): string[] {
  const { text, style } = ctx;
  const old = pair?.value;
  const keyRange = isNode(pair?.key) ? pair.key.range : undefined;
  if (pair && keyRange && isNode(old) && old.range && old.range[0] > keyRange[1] && deepEqual(ownValue(old, ctx.doc, ctx.values), value)) {
    // `key: value` exactly as written, with any anchor or tag between them.
    const kept = text.slice(keyRange[0], old.range[1]);
    if (!kept.includes("\n")) return [kept];
  }
  if (keyRange && convertible(old, value)) {
    const pad = " ".repeat(isSeq(old) && !style.indentSeq ? 0 : style.indent);
    const head = `${text.slice(keyRange[0], keyRange[1])}:${old.anchor ? ` &${old.anchor}` : ""}`;
    return [head, ...indented(blockBody(ctx, old, value, detacher), pad)];
  }
  if (old) detacher.detachSubtree(old);
  return renderPair(key, value, style, hintsFor(old, value));
}

function blockItem(ctx: SpliceCtx, item: unknown, value: unknown, detacher: Detacher): string[] {
  const { text, style } = ctx;
  // An item's anchor or tag stands before its range: such an item is rendered again rather than copied.
  if (isNode(item) && item.range && !item.anchor && !item.tag && deepEqual(ownValue(item, ctx.doc, ctx.values), value)) {
    const kept = text.slice(item.range[0], item.range[1]);
    if (!kept.includes("\n")) return [`- ${kept}`];
  }
  if (convertible(item, value)) {
    const body = blockBody(ctx, item, value, detacher);
    if (item.anchor) return [`- &${item.anchor}`, ...indented(body, "  ")];
    return [`- ${body[0]}`, ...indented(body.slice(1), "  ")];
  }
  if (item) detacher.detachSubtree(item);
  return renderItem(value, style, hintsFor(item, value));
}
