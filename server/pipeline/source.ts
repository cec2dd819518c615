import { Alias, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
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

  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  } catch (error) {
    // The yaml composer recurses per nesting level; absurd nesting overflows the stack.
    if (error instanceof RangeError) {
      diagnostics.error(`The pipeline nests too deeply; the limit is ${LIMITS.maxDepth} levels.`, start, []);
      return { root: undefined, positionAt };
    }
    throw error;
  }
  for (const problem of doc.errors) {
    diagnostics.error(problem.message, positionAt(problem.pos[0]), []);
  }
  for (const problem of doc.warnings) {
    diagnostics.warn(problem.message, positionAt(problem.pos[0]), []);
  }
  if (doc.errors.length > 0) return { root: undefined, positionAt };

  try {
    // yaml's own guard against "billion laughs": throws once aliases expand past the count.
    doc.toJS({ maxAliasCount: LIMITS.maxAliasCount });
  } catch (error) {
    diagnostics.error(
      `The pipeline expands YAML aliases (*name) too many times; the limit is ${LIMITS.maxAliasCount}.`,
      start,
      [],
    );
    return { root: undefined, positionAt };
  }

  const converter = new Converter(doc, text, positionAt, diagnostics);
  const root = doc.contents ? converter.convert(doc.contents, [], 0) : undefined;
  return { root: converter.aborted ? undefined : root, positionAt };
}

class Converter {
  /** Nodes produced by alias expansion so far; bounded independently of yaml's check. */
  private expanded = 0;
  aborted = false;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly text: string,
    private readonly positionAt: (offset: number) => Position,
    private readonly diagnostics: Diagnostics,
  ) {}

  convert(node: YamlNode, path: Path, depth: number, viaAlias = false): SNode | undefined {
    if (this.aborted) return undefined;
    const pos = this.positionAt(node.range?.[0] ?? 0);
    if (depth > LIMITS.maxDepth) {
      this.abort(`The pipeline nests deeper than ${LIMITS.maxDepth} levels.`, pos, path);
      return undefined;
    }
    if (viaAlias && ++this.expanded > LIMITS.maxAliasNodes) {
      this.abort(`YAML aliases (*name) expand to more than ${LIMITS.maxAliasNodes} values.`, pos, path);
      return undefined;
    }
    if (isAlias(node)) return this.alias(node, path, depth);
    if (isScalar(node)) return this.scalar(node, pos);
    if (isSeq(node)) {
      const items: SNode[] = [];
      node.items.forEach((item, index) => {
        const converted = this.convert(item as YamlNode, [...path, index], depth + 1, viaAlias);
        if (converted) items.push(converted);
      });
      return { kind: "seq", items, pos };
    }
    if (isMap(node)) return this.map(node.items, pos, path, depth, viaAlias);
    return undefined;
  }

  private alias(node: Alias, path: Path, depth: number): SNode | undefined {
    const target = node.resolve(this.doc);
    return target ? this.convert(target, path, depth + 1, true) : undefined;
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
    viaAlias: boolean,
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
      const resolvedKey = keyNode && isAlias(keyNode) ? keyNode.resolve(this.doc) : keyNode;
      const key = resolvedKey && isScalar(resolvedKey) ? String(resolvedKey.value ?? "") : "";
      const valueNode = pair.value as YamlNode | null;
      const value = valueNode
        ? this.convert(valueNode, [...path, key], depth + 1, viaAlias)
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
