import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

export type HashedFields = {
  seq: number;
  at: string;
  actorId: string | null;
  actorLabel: string;
  action: string;
  objectType: string;
  objectId: string | null;
  projectId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  via: string;
  prevHash: string;
};

/** JSON with sorted keys, so jsonb's reordering on storage does not change the hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function hashEvent(fields: HashedFields): string {
  const normalised = { ...fields, at: new Date(fields.at).toISOString() };
  return createHash("sha256").update(canonicalJson(normalised)).digest("hex");
}
