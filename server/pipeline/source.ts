import { Alias, Composer, isAlias, isMap, isScalar, isSeq, LineCounter, Parser, Scalar, visit, YAMLParseError } from "yaml";
import type { CST, Document, Node as YamlNode } from "yaml";
import { Diagnostics, type Path, type Position } from "./diagnostics";
import { LIMITS } from "./limits";

/**
 * The YAML document as a small plain tree whose every node knows where it came
 * from, so validation can point at `line:column` without touching the yaml API.
 */
export type SNode = SMap | SSeq | SScalar;

export interface SScalar {
  kind: "scalar";
  value: string | number | boolean | null;
  pos: Position;
  /** The scalar exactly as written, and its offset in the text, to locate `${{ }}` inside it. */
  raw: string;
  offset: number;
}

export interface SEntry {
  key: string;
  keyPos: Position;
  value: SNode;
}

export interface SMap {
  kind: "map";
  entries: SEntry[];
  pos: Position;
}

export interface SSeq {
  kind: "seq";
  items: SNode[];
  pos: Position;
}

export interface SourceTree {
  root: SNode | undefined;
  positionAt(offset: number): Position;
}

/** Parses YAML into an `SNode` tree, refusing documents that are too big, too deep or that expand too much. */
export function readSource(text: string, diagnostics: Diagnostics): SourceTree {
  const lineCounter = new LineCounter();
  const positionAt = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  };
  const start = { line: 1, column: 1 };
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > LIMITS.maxBytes) {
    diagnostics.error(`The pipeline file is ${bytes} bytes; the limit is ${LIMITS.maxBytes} bytes (1 MB).`, start, []);
    return { root: undefined, positionAt };
  }

  // yaml's lexer and CST parser are iterative, but its composer recurses once per
  // level and overflows the stack (or worse) on deep nesting: measure the CST first.
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const tooDeep = firstTooDeep(tokens);
  if (tooDeep !== undefined) {
    diagnostics.error(`The pipeline nests deeper than ${LIMITS.maxDepth} levels.`, positionAt(tooDeep), []);
    return { root: undefined, positionAt };
  }
  const doc = composeOne(tokens, text.length);
  for (const problem of doc.errors) {
    diagnostics.error(problem.message, positionAt(problem.pos[0]), []);
  }
  for (const problem of doc.warnings) {
    diagnostics.warn(problem.message, positionAt(problem.pos[0]), []);
  }
  if (doc.errors.length > 0) return { root: undefined, positionAt };

  // yaml resolves each alias by scanning every anchor and alias before it, so their
  // number is bounded before yaml's toJS or our converter resolves any.
  const references = countAnchorsAndAliases(doc);
  if (references > LIMITS.maxAnchorsAndAliases) {
    const message = `The pipeline has ${references} YAML anchors and aliases; the limit is ${LIMITS.maxAnchorsAndAliases}.`;
    diagnostics.error(message, start, []);
    return { root: undefined, positionAt };
  }
  try {
    // yaml's own guard against "billion laughs": throws once aliases expand past the count.
    doc.toJS({ maxAliasCount: LIMITS.maxAliasCount });
  } catch {
    diagnostics.error(
      `The pipeline expands YAML aliases (*name) too many times; the limit is ${LIMITS.maxAliasCount}.`,
      start,
      [],
    );
    return { root: undefined, positionAt };
  }

  const converter = new Converter(text, positionAt, diagnostics);
  const root = doc.contents ? converter.convert(doc.contents, [], 0) : undefined;
  return { root: converter.aborted ? undefined : root, positionAt };
}

function countAnchorsAndAliases(doc: Document.Parsed): number {
  let count = 0;
  visit(doc, {
    Node(_, node) {
      if (isAlias(node) || ("anchor" in node && node.anchor)) count++;
    },
  });
  return count;
}

/** Like yaml's parseDocument, from already parsed tokens. */
function composeOne(tokens: CST.Token[], length: number): Document.Parsed {
  const docs = [...new Composer({ uniqueKeys: false, prettyErrors: false }).compose(tokens, true, length)];
  const [doc, extra] = docs;
  if (extra) {
    const message = 'A pipeline file holds one YAML document; remove the "---" separator.';
    doc.errors.push(new YAMLParseError([extra.range[0], extra.range[1]], "MULTIPLE_DOCS", message));
  }
  return doc;
}

/** Offset of the first collection nested deeper than the limit, walking the CST without recursion. */
function firstTooDeep(tokens: CST.Token[]): number | undefined {
  const stack: [CST.Token, number][] = tokens.map((token) => [token, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type === "document") {
      if (token.value) stack.push([token.value, depth]);
    } else if (token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection") {
      if (depth + 1 > LIMITS.maxDepth) return token.offset;
      for (const item of token.items) {
        if ("key" in item && item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

class Converter {
  /** Nodes produced by alias expansion so far; bounded independently of yaml's check. */
  private expanded = 0;
  /** Anchor name -> its latest definition so far in document order (yaml's resolve rescans the document). */
  private readonly anchors = new Map<string, YamlNode>();
  aborted = false;

  constructor(
    private readonly text: string,
    private readonly positionAt: (offset: number) => Position,
    private readonly diagnostics: Diagnostics,
  ) {}

  /** `via` is where the alias being expanded is written, if any. */
  convert(node: YamlNode, path: Path, depth: number, via?: Position): SNode | undefined {
    if (this.aborted) return undefined;
    const pos = this.positionAt(node.range?.[0] ?? 0);
    if (depth > LIMITS.maxDepth) {
      this.abort(`The pipeline nests deeper than ${LIMITS.maxDepth} levels.`, pos, path);
      return undefined;
    }
    if (via && ++this.expanded > LIMITS.maxAliasNodes) {
      this.abort(`YAML aliases (*name) expand to more than ${LIMITS.maxAliasNodes} values.`, via, path);
      return undefined;
    }
    if (isAlias(node)) return this.alias(node, path, depth, via ?? pos);
    // Anchors met inside an alias expansion were registered where they are written.
    if (!via && "anchor" in node && typeof node.anchor === "string") this.anchors.set(node.anchor, node);
    if (isScalar(node)) return this.scalar(node, pos);
    if (isSeq(node)) {
      const items: SNode[] = [];
      node.items.forEach((item, index) => {
        const converted = this.convert(item as YamlNode, [...path, index], depth + 1, via);
        if (converted) items.push(converted);
      });
      return { kind: "seq", items, pos };
    }
    if (isMap(node)) return this.map(node.items, pos, path, depth, via);
    return undefined;
  }

  private alias(node: Alias, path: Path, depth: number, via: Position): SNode | undefined {
    const target = this.anchors.get(node.source);
    return target ? this.convert(target, path, depth + 1, via) : undefined;
  }

  private scalar(node: Scalar, pos: Position): SScalar {
    const [from, to] = node.range ?? [0, 0];
    const value = node.value;
    const plain =
      value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? value
        : String(value);
    return { kind: "scalar", value: plain, pos, raw: this.text.slice(from, to), offset: from };
  }

  private map(
    pairs: { key: unknown; value: unknown }[],
    pos: Position,
    path: Path,
    depth: number,
    via: Position | undefined,
  ): SMap {
    const entries: SEntry[] = [];
    const seen = new Map<string, Position>();
    const merges: SNode[] = [];
    for (const pair of pairs) {
      const keyNode = pair.key as YamlNode | null;
      const keyPos = keyNode?.range ? this.positionAt(keyNode.range[0]) : pos;
      if (keyNode && !isScalar(keyNode) && !isAlias(keyNode)) {
        this.diagnostics.error("Keys must be plain text, not lists or mappings.", keyPos, path);
        continue;
      }
      if (!via && isScalar(keyNode) && keyNode.anchor) this.anchors.set(keyNode.anchor, keyNode);
      const resolvedKey = keyNode && isAlias(keyNode) ? this.anchors.get(keyNode.source) : keyNode;
      const key = resolvedKey && isScalar(resolvedKey) ? String(resolvedKey.value ?? "") : "";
      if (key === "__proto__") {
        // Would replace the prototype of the plain objects the model is built from.
        this.diagnostics.error('The key "__proto__" is not allowed.', keyPos, [...path, key]);
        continue;
      }
      const valueNode = pair.value as YamlNode | null;
      const value = valueNode
        ? this.convert(valueNode, [...path, key], depth + 1, via)
        : ({ kind: "scalar", value: null, pos: keyPos, raw: "", offset: 0 } as SScalar);
      if (!value) continue;
      if (key === "<<" && isScalar(keyNode) && keyNode.type === Scalar.PLAIN) {
        merges.push(value);
        continue;
      }
      const first = seen.get(key);
      if (first) {
        const what = path.length === 1 && path[0] === "jobs" ? "job id" : "key";
        this.diagnostics.error(
          `Duplicate ${what} "${key}" (first defined at line ${first.line}); ${what}s must be unique.`,
          keyPos,
          [...path, key],
        );
        continue;
      }
      seen.set(key, keyPos);
      entries.push({ key, keyPos, value });
    }
    // YAML merge keys (`<<: *defaults`) fill in what the mapping does not set itself.
    for (const merge of merges) {
      const sources = merge.kind === "seq" ? merge.items : [merge];
      for (const source of sources) {
        if (source.kind !== "map") {
          this.diagnostics.error("A merge key (<<) must refer to a mapping or a list of mappings.", source.pos, path);
          continue;
        }
        for (const entry of source.entries) {
          if (seen.has(entry.key)) continue;
          seen.set(entry.key, entry.keyPos);
          entries.push(entry);
        }
      }
    }
    return { kind: "map", entries, pos };
  }

  private abort(message: string, pos: Position, path: Path): void {
    this.diagnostics.error(message, pos, path);
    this.aborted = true;
  }
}
