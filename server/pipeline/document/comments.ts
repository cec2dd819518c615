import { isNode, isPair, visit } from "yaml";
import type { Scalar } from "yaml";
import { lineEnd, lineStart, startsLine } from "./text";

/**
 * The comments inside text about to be removed or rewritten, as lines to put
 * back: whole-line comments as they were, end-of-line ones on a line of their
 * own at `indent`. Removing a need or a setting does not remove what the person
 * wrote about it.
 *
 * `nodes` are what the text holds: a `#` inside one of their scalars (a script's
 * `# comment`, a quoted "#1") is content, not a comment.
 */
export function commentLines(text: string, from: number, to: number, nodes: readonly unknown[], indent: number, eol: string): string {
  if (!text.slice(from, to).includes("#")) return "";
  const content: [number, number][] = [];
  const visitor = {
    Scalar(_: unknown, scalar: Scalar) {
      if (scalar.range) content.push([scalar.range[0], scalar.range[1]]);
    },
  };
  for (const node of nodes.flatMap((n) => (isPair(n) ? [n.key, n.value] : [n]))) {
    if (isNode(node)) visit(node, visitor);
  }
  let out = "";
  for (let at = text.indexOf("#", from); at >= 0 && at < to; at = text.indexOf("#", at + 1)) {
    const before = at === 0 ? "\n" : text[at - 1];
    if (!/\s/.test(before) || content.some(([start, end]) => at >= start && at < end)) continue;
    const stop = lineEnd(text, at);
    const comment = text.slice(at, stop).replace(/\r?\n$/, "");
    out += (startsLine(text, at) ? text.slice(lineStart(text, at), at) : " ".repeat(indent)) + comment + eol;
    at = stop - 1;
  }
  return out;
}
