import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import type { Database } from "@/db/client";
import type { AuditEvent } from "@/db/schema";
import { deriveKey, loadSecretKey } from "@/server/config/secret-key";
import { readSettings } from "@/server/config/settings";
import type { AuditFilter } from "@/server/schemas/audit";
import { listAuditEvents, verifyAuditChain } from "./audit";
import { canonicalJson, hashEvent } from "./audit-hash";

/**
 * The audit trail for auditors: the filtered list as CSV or JSON, and a signed export that
 * can be checked offline (`npm run audit:verify -- FILE`): every event's hash is recomputed
 * from its fields, consecutive events must link, the chain's head at export time is named,
 * and the whole file is signed with the installation's Ed25519 key (its public key travels
 * in the file; its fingerprint is shown in Slipway to compare with).
 */

export const EXPORT_FORMAT = "slipway-audit-export/1";
/** Events per export: an auditor narrows the filter for more. */
export const EXPORT_LIMIT = 50_000;

// PKCS#8 header of an Ed25519 private key made from a 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export function signingKeyFrom(master: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, deriveKey(master, "audit-export")]), format: "der", type: "pkcs8" });
}

/** This installation's export-signing key (derived from the master key, like every other key). */
export function loadAuditSigningKey(env: Record<string, string | undefined> = process.env): KeyObject {
  const settings = readSettings(env);
  return signingKeyFrom(loadSecretKey(settings, settings.dataDir, { create: false }));
}

export function publicKeyText(key: KeyObject): string {
  return createPublicKey(key).export({ format: "der", type: "spki" }).toString("base64");
}

/** "SHA256:…" of the public key, for people to compare with what Slipway shows. */
export function keyFingerprint(publicKeyBase64: string): string {
  return `SHA256:${createHash("sha256").update(Buffer.from(publicKeyBase64, "base64")).digest("base64").replace(/=+$/, "")}`;
}

export type ExportFormat = "csv" | "json" | "signed";

/** Oldest first, so a reader and the verifier walk the chain forwards. */
async function eventsFor(db: Database, filter: Omit<AuditFilter, "limit" | "before">, scope: { projectIds: string[] | "all" }): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let before: number | undefined;
  while (events.length < EXPORT_LIMIT) {
    const page = await listAuditEvents(db, { ...filter, before, limit: 500 }, scope);
    events.push(...page);
    if (page.length < 500) break;
    before = page[page.length - 1].seq;
  }
  return events.slice(0, EXPORT_LIMIT).reverse();
}

const CSV_COLUMNS = ["seq", "at", "actorId", "actorLabel", "action", "objectType", "objectId", "projectId", "ip", "via", "before", "after", "prevHash", "hash"] as const;

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  // A leading =, +, - or @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(events: AuditEvent[]): string {
  return [CSV_COLUMNS.join(","), ...events.map((e) => CSV_COLUMNS.map((c) => csvCell(e[c])).join(","))].join("\r\n") + "\r\n";
}

export type SignedExport = {
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  exportedBy: string;
  filter: Record<string, unknown>;
  /** The whole chain as verified at export time: its length and its head. */
  chain: { ok: boolean; headSeq: number | null; headHash: string | null };
  events: AuditEvent[];
  signature: { algorithm: "ed25519"; publicKey: string; value: string };
};

export async function exportAudit(
  db: Database,
  input: { filter: Omit<AuditFilter, "limit" | "before">; scope: { projectIds: string[] | "all" }; format: ExportFormat; exportedBy: string; key?: KeyObject },
): Promise<{ filename: string; contentType: string; body: string; count: number }> {
  const events = await eventsFor(db, input.filter, input.scope);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  if (input.format === "csv") return { filename: `audit-${stamp}.csv`, contentType: "text/csv; charset=utf-8", body: toCsv(events), count: events.length };
  if (input.format === "json") return { filename: `audit-${stamp}.json`, contentType: "application/json", body: JSON.stringify(events, null, 2), count: events.length };
  const key = input.key ?? loadAuditSigningKey();
  const chain = await verifyAuditChain(db);
  const unsigned = {
    format: EXPORT_FORMAT as typeof EXPORT_FORMAT,
    exportedAt: new Date().toISOString(),
    exportedBy: input.exportedBy,
    filter: JSON.parse(JSON.stringify(input.filter)) as Record<string, unknown>,
    chain: chain.ok ? { ok: true, headSeq: chain.headSeq, headHash: chain.headHash } : { ok: false, headSeq: null, headHash: null },
    events,
  };
  const signature = { algorithm: "ed25519" as const, publicKey: publicKeyText(key), value: sign(null, Buffer.from(canonicalJson(unsigned)), key).toString("base64") };
  const body = JSON.stringify({ ...unsigned, signature } satisfies SignedExport, null, 2);
  return { filename: `audit-${stamp}.signed.json`, contentType: "application/json", body, count: events.length };
}

export type ExportVerdict = { ok: boolean; events: number; fingerprint: string | null; headSeq: number | null; problems: string[] };

/**
 * Checks a signed export with nothing but the file: the signature over its content, each
 * event's hash against its fields, each event's link to the one before it when both are in
 * the file, and the head's hash when the head is in the file.
 */
export function verifyAuditExport(text: string): ExportVerdict {
  const problems: string[] = [];
  let doc: SignedExport;
  try {
    doc = JSON.parse(text) as SignedExport;
  } catch {
    return { ok: false, events: 0, fingerprint: null, headSeq: null, problems: ["The file is not JSON."] };
  }
  if (doc?.format !== EXPORT_FORMAT || !Array.isArray(doc.events) || !doc.signature) {
    return { ok: false, events: 0, fingerprint: null, headSeq: null, problems: [`The file is not a signed Slipway audit export (${EXPORT_FORMAT}).`] };
  }
  const { signature, ...unsigned } = doc;
  const fingerprint = keyFingerprint(signature.publicKey);
  try {
    const publicKey = createPublicKey({ key: Buffer.from(signature.publicKey, "base64"), format: "der", type: "spki" });
    if (!verify(null, Buffer.from(canonicalJson(unsigned)), publicKey, Buffer.from(signature.value, "base64"))) problems.push("The signature does not match the content: the file was changed after it was exported.");
  } catch (error) {
    problems.push(`The signature could not be checked: ${(error as Error).message}`);
  }
  let previous: AuditEvent | null = null;
  for (const event of doc.events) {
    const { hash, ...fields } = event;
    if (hashEvent(fields) !== hash) problems.push(`Event ${event.seq} (${event.action}) does not match its hash: it was altered.`);
    if (previous && event.seq === previous.seq + 1 && event.prevHash !== previous.hash) problems.push(`Event ${event.seq} does not follow event ${previous.seq}: the chain is broken between them.`);
    if (previous && event.seq <= previous.seq) problems.push(`Event ${event.seq} is out of order.`);
    previous = event;
  }
  const head = doc.chain?.headSeq ? doc.events.find((e) => e.seq === doc.chain.headSeq) : null;
  if (head && head.hash !== doc.chain.headHash) problems.push(`The chain's head, event ${head.seq}, does not have the hash the export names.`);
  if (doc.chain && !doc.chain.ok) problems.push("The audit chain was already broken when this was exported.");
  return { ok: problems.length === 0, events: doc.events.length, fingerprint, headSeq: doc.chain?.headSeq ?? null, problems };
}
