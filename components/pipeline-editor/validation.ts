import { parsePipeline } from "@/server/pipeline/parse";
import type { Diagnostic } from "@/server/pipeline/diagnostics";

/** Errors and warnings of a pipeline text, as the editor lists them (an empty text has none yet). */
export function validateText(yaml: string): Diagnostic[] {
  if (yaml.trim() === "") return [];
  const parsed = parsePipeline(yaml);
  return parsed.ok ? parsed.warnings : [...parsed.errors, ...parsed.warnings];
}
