import { parse } from "yaml";

/** A job's settings as plain data, for the side panel's fields. */
export type JobValues = Record<string, unknown>;

/**
 * Reads one job's own settings (merge keys resolved, as the runner sees them).
 * The panel shows these; edits go back through the document model, which
 * keeps the person's formatting.
 */
export function jobValues(yaml: string, id: string): JobValues | null {
  try {
    const doc = parse(yaml, { merge: true, maxAliasCount: 100 }) as { jobs?: Record<string, unknown> } | null;
    const job = doc?.jobs?.[id];
    if (job === null) return {};
    return typeof job === "object" && !Array.isArray(job) ? (job as JobValues) : null;
  } catch {
    return null;
  }
}

/** `KEY=value` lines for an env mapping, the way people write .env files. */
export function envToText(env: unknown): string {
  if (!env || typeof env !== "object") return "";
  return Object.entries(env as Record<string, unknown>)
    .map(([key, value]) => `${key}=${value ?? ""}`)
    .join("\n");
}

export function textToEnv(text: string): { value?: Record<string, string>; error?: string } {
  const out: Record<string, string> = {};
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (const [index, line] of lines.entries()) {
    const eq = line.indexOf("=");
    if (eq <= 0) return { error: `Line ${index + 1}: write KEY=value.` };
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return { value: lines.length ? out : undefined };
}
