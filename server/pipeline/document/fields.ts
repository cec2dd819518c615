import { z } from "zod";
import { isPlainObject, setOwn } from "./load";

/** Job ids as the pipeline reader accepts them (they can never look like numbers). */
export const JOB_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function invalidId(id: string): string {
  return `"${id}" is not a valid job id: start with a letter or _, then letters, digits, _ or -.`;
}

/** The fields the side panel edits. `strategy.matrix` lives one level down. */
export const JOB_FIELDS = [
  "name",
  "image",
  "runs-on",
  "env",
  "if",
  "timeout-minutes",
  "strategy.matrix",
  "environment",
  "deploy",
  "steps",
] as const;
export type JobField = (typeof JOB_FIELDS)[number];

const expression = z.string().regex(/^\s*\$\{\{[\s\S]*\}\}\s*$/, "must be a number or a ${{ }} expression");
const label = z.string().min(1);

const step = z
  .looseObject({
    name: z.string().optional(),
    run: z.string().optional(),
    uses: z.string().optional(),
    with: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((s) => (s.run === undefined) !== (s.uses === undefined), "a step has either `run` or `uses`, not both");

const SCHEMAS: Record<JobField, z.ZodType> = {
  name: label,
  image: label,
  "runs-on": z.union([label, z.array(label).min(1)]),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not a valid variable name"), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  if: z.union([label, z.boolean()]),
  "timeout-minutes": z.union([z.number().int().min(1).max(4320), expression]),
  "strategy.matrix": z.union([z.record(z.string(), z.unknown()), expression]),
  environment: z.union([label, z.looseObject({ name: label, url: z.string().optional() })]),
  deploy: z.record(z.string(), z.unknown()),
  steps: z.array(step),
};

/** Checks a panel value; returns a sentence for the person, or undefined when it is fine. */
export function checkField(field: JobField, value: unknown): string | undefined {
  const result = SCHEMAS[field].safeParse(value);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  const where = [field, ...issue.path.map(String)].join(".");
  return `${where}: ${issue.message}`;
}

/**
 * Plain data for YAML: keys whose value is undefined are dropped (forms leave
 * them), so what is written equals what reads back.
 */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : plain(item)));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (inner !== undefined) setOwn(out, key, plain(inner));
  return out;
}

/** The order GitHub Actions workflows conventionally use; a new key is placed by it. */
const KEY_ORDER = ["name", "needs", "runs-on", "image", "environment", "if", "timeout-minutes", "strategy", "env", "deploy", "steps"];

/**
 * Sets `key` in a job: in place when present, else after the last existing key
 * that conventionally comes before it (keys we do not know keep their places).
 */
export function placeKey(job: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  if (Object.prototype.hasOwnProperty.call(job, key)) {
    setOwn(job, key, value);
    return job;
  }
  const rank = KEY_ORDER.indexOf(key);
  const keys = Object.keys(job);
  let at = 0;
  keys.forEach((existing, index) => {
    // A merge key (`<<: *defaults`) stays first: it reads as "start from these".
    const other = existing === "<<" ? -1 : KEY_ORDER.indexOf(existing);
    if (existing === "<<" || (other >= 0 && other < rank)) at = index + 1;
  });
  const out: Record<string, unknown> = {};
  keys.slice(0, at).forEach((k) => setOwn(out, k, job[k]));
  setOwn(out, key, value);
  keys.slice(at).forEach((k) => setOwn(out, k, job[k]));
  return out;
}

export type JobKind = "job" | "deploy";

/** What a new node on the canvas starts with: enough for the reader to accept it. */
export function defaultTemplate(kind: JobKind): Record<string, unknown> {
  return kind === "deploy"
    ? { environment: "production", deploy: { strategy: "rolling" } }
    : { steps: [{ name: "Run a script", run: 'echo "Hello from Slipway"' }] };
}
