/** What each palette entry adds to a job's steps: the built-ins with the settings they need to validate. */
export const STEP_TEMPLATES = {
  run: { label: "Script", step: { name: "Run a script", run: 'echo "Hello from Slipway"' } },
  checkout: { label: "Checkout", step: { uses: "checkout" } },
  cache: { label: "Cache", step: { uses: "cache", with: { key: "deps-v1", path: "node_modules" } } },
  "upload-artifact": { label: "Upload artifact", step: { uses: "upload-artifact", with: { name: "dist", path: "dist" } } },
  "download-artifact": { label: "Download artifact", step: { uses: "download-artifact", with: { name: "dist" } } },
} as const;

export type StepTemplate = keyof typeof STEP_TEMPLATES;
export const BUILTIN_STEPS = ["checkout", "cache", "upload-artifact", "download-artifact"] as const;

export type StepData = Record<string, unknown>;

export function templateStep(kind: StepTemplate): StepData {
  return structuredClone(STEP_TEMPLATES[kind].step) as StepData;
}

/** `with:` as KEY=value lines; numbers stay numbers so `fetch-depth=1` validates. */
export function withToText(value: unknown): string {
  if (!value || typeof value !== "object") return "";
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v ?? "")}`)
    .join("\n");
}

export function textToWith(text: string): { value?: Record<string, unknown>; error?: string } {
  const out: Record<string, unknown> = {};
  const lines = text.split("\n").filter((l) => l.trim());
  for (const [i, line] of lines.entries()) {
    const eq = line.indexOf("=");
    if (eq <= 0) return { error: `Line ${i + 1}: write key=value.` };
    const raw = line.slice(eq + 1).trim();
    out[line.slice(0, eq).trim()] = /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  return { value: lines.length ? out : undefined };
}
