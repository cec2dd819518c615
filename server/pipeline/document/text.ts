/**
 * Offsets and line arithmetic over the original YAML text. Every edit is a splice
 * at positions yaml's parser reported, so bytes outside the splices never change.
 */

export interface TextEdit {
  from: number;
  to: number;
  insert: string;
}

/** Thrown when two splices would touch the same text; the edit is then refused. */
export class EditConflict extends Error {}

/**
 * Thrown where a value cannot be written inside a flow collection as people
 * would read it (a multi-line script in `steps: [{ run: x }]`). The nearest
 * flow collection in block context catches it and is rewritten in block style;
 * with none (a document written all in flow), the edit is retried with such
 * strings quoted on one line.
 */
export class NeedsBlock extends EditConflict {}

/** True when a string somewhere in `value` spans several lines. */
export function hasMultiline(value: unknown): boolean {
  if (typeof value === "string") return /[\r\n]/.test(value);
  if (Array.isArray(value)) return value.some(hasMultiline);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasMultiline);
  return false;
}

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  // Insertions at a position go before a deletion starting there, else keep call order.
  const sorted = edits
    .map((edit, order) => ({ edit, order }))
    .sort((a, b) => a.edit.from - b.edit.from || width(a.edit) - width(b.edit) || a.order - b.order);
  let out = "";
  let cursor = 0;
  for (const { edit } of sorted) {
    if (edit.from < cursor || edit.to < edit.from) throw new EditConflict("overlapping edits");
    out += text.slice(cursor, edit.from) + edit.insert;
    cursor = edit.to;
  }
  return out + text.slice(cursor);
}

const width = (edit: TextEdit) => edit.to - edit.from;

export function lineStart(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

export function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** The offset just past the newline ending the line that holds `pos`. */
export function lineEnd(text: string, pos: number): number {
  const newline = text.indexOf("\n", pos);
  return newline < 0 ? text.length : newline + 1;
}

/**
 * Where the lines of a node that ends at `end` stop: block nodes already end
 * after their last newline; inline ones take the rest of their line (a trailing
 * `# comment` belongs to them).
 */
export function nodeLinesEnd(text: string, end: number): number {
  return end > 0 && text[end - 1] === "\n" ? end : lineEnd(text, end);
}

export function isBlankLine(text: string, start: number): boolean {
  const end = lineEnd(text, start);
  return start < end && text.slice(start, end).trim() === "";
}

/** True when only spaces sit between the line's start and `pos`. */
export function startsLine(text: string, pos: number): boolean {
  return text.slice(lineStart(text, pos), pos).trim() === "";
}

/** Skips spaces, line breaks and `#` comments forward from `pos`. */
export function skipTrivia(text: string, pos: number): number {
  let at = pos;
  while (at < text.length) {
    const ch = text[at];
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n") at++;
    else if (ch === "#") at = lineEnd(text, at);
    else break;
  }
  return at;
}

/** Lines of a rendered block, shifted right by `indent` columns (empty lines stay empty). */
export function indentLines(lines: readonly string[], indent: number, eol: string, fromLine = 1): string {
  const pad = " ".repeat(indent);
  return lines.map((line, index) => (index >= fromLine && line !== "" ? pad + line : line)).join(eol);
}
