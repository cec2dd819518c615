import { parsePipeline } from "./parse";
import type { Pipeline } from "./model";

/**
 * Strips the common indentation so YAML can be written indented inside tests.
 * Write `\${{ }}` for expressions: the template literal would otherwise interpolate.
 */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, part, i) => out + part + (i < values.length ? String(values[i]) : ""), "").replace(/^\n/, "");
  const indent = Math.min(...text.split("\n").filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return text
    .split("\n")
    .map((l) => l.slice(indent))
    .join("\n");
}

/** Every error as "line:column message", the form the tests compare. */
export function errorsOf(text: string): string[] {
  const result = parsePipeline(text);
  return result.ok ? [] : result.errors.map((e) => `${e.line}:${e.column} ${e.message}`);
}

export function warningsOf(text: string): string[] {
  return parsePipeline(text).warnings.map((w) => `${w.line}:${w.column} ${w.message}`);
}

export function parseOk(text: string): Pipeline {
  const result = parsePipeline(text);
  if (!result.ok) throw new Error(`expected a valid pipeline:\n${result.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("\n")}`);
  return result.pipeline;
}
