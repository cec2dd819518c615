import { and, desc, eq, gte, ilike, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { auditEvents, type AuditEvent } from "@/db/schema";
import type { AuditFilter } from "@/server/schemas/audit";
import type { Actor } from "./actor";
import { GENESIS_HASH, hashEvent } from "./audit-hash";

/** Serialises appends so the chain stays a single line; any constant works. */
const AUDIT_CHAIN_LOCK = 0x51_1b_a7;

export type AuditInput = {
  action: string;
  objectType: string;
  objectId?: string | null;
  projectId?: string | null;
  before?: unknown;
  after?: unknown;
};

/**
 * Appends one event to the chain. Call it inside the transaction that makes
 * the change, so the change and its record commit or roll back together.
 */
export async function recordAudit(tx: Tx, actor: Actor, input: AuditInput): Promise<AuditEvent> {
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const [last] = await tx
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  const fields = {
    seq: (last?.seq ?? 0) + 1,
    at: new Date().toISOString(),
    actorId: actor.userId,
    actorLabel: actor.label,
    action: input.action,
    objectType: input.objectType,
    objectId: input.objectId ?? null,
    projectId: input.projectId ?? null,
    before: asStoredJson(input.before),
    after: asStoredJson(input.after),
    ip: actor.ip,
    via: actor.via,
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const [row] = await tx
    .insert(auditEvents)
    .values({ ...fields, hash: hashEvent(fields) })
    .returning();
  return row;
}

/**
 * The value as jsonb will hand it back (Dates become ISO strings, undefined
 * members vanish), so the hash is computed over exactly what is stored and
 * `verifyAuditChain` recomputes the same one.
 */
function asStoredJson(value: unknown): unknown {
  return value === undefined || value === null ? null : JSON.parse(JSON.stringify(value));
}

export type ChainVerdict =
  | { ok: true; checked: number; headSeq: number; headHash: string }
  | { ok: false; checked: number; problem: { seq: number; kind: "altered" | "missing" | "inserted"; message: string } };

/** Walks the whole chain in order and names the first event that breaks it. */
export async function verifyAuditChain(db: Database, batchSize = 5000): Promise<ChainVerdict> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(gte(auditEvents.seq, expectedSeq))
      .orderBy(auditEvents.seq)
      .limit(batchSize);
    for (const row of rows) {
      const problem = checkLink(row, expectedSeq, prevHash);
      if (problem) return { ok: false, checked, problem };
      prevHash = row.hash;
      expectedSeq = row.seq + 1;
      checked++;
    }
    if (rows.length < batchSize) return { ok: true, checked, headSeq: expectedSeq - 1, headHash: prevHash };
  }
}

function checkLink(row: AuditEvent, expectedSeq: number, prevHash: string) {
  if (row.seq !== expectedSeq) {
    const missing = row.seq - expectedSeq === 1 ? `event ${expectedSeq} is` : `events ${expectedSeq} to ${row.seq - 1} are`;
    return { seq: expectedSeq, kind: "missing" as const, message: `Audit chain broken: ${missing} missing (deleted).` };
  }
  if (row.prevHash !== prevHash) {
    return {
      seq: row.seq,
      kind: "inserted" as const,
      message: `Audit chain broken at event ${row.seq}: it does not follow event ${row.seq - 1} (an event was inserted or replaced before it).`,
    };
  }
  const { hash, ...fields } = row;
  if (hashEvent(fields) !== hash) {
    return { seq: row.seq, kind: "altered" as const, message: `Audit chain broken at event ${row.seq}: its content was altered after it was written.` };
  }
  return null;
}

export async function listAuditEvents(db: Database, filter: AuditFilter, scope: { projectIds: string[] | "all" }) {
  const conditions: SQL[] = [];
  if (filter.projectId) conditions.push(eq(auditEvents.projectId, filter.projectId));
  if (scope.projectIds !== "all") {
    if (scope.projectIds.length === 0) return [];
    conditions.push(sql`${auditEvents.projectId} in ${scope.projectIds}`);
  }
  if (filter.actor) {
    const pattern = `%${filter.actor.replace(/[%_\\]/g, "\\$&")}%`;
    conditions.push(or(ilike(auditEvents.actorLabel, pattern), sql`${auditEvents.actorId}::text = ${filter.actor}`)!);
  }
  if (filter.action) conditions.push(ilike(auditEvents.action, `${filter.action.replace(/[%_\\]/g, "\\$&")}%`));
  if (filter.from) conditions.push(gte(auditEvents.at, filter.from));
  if (filter.to) conditions.push(lte(auditEvents.at, filter.to));
  if (filter.before) conditions.push(lt(auditEvents.seq, filter.before));
  return db
    .select()
    .from(auditEvents)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditEvents.seq))
    .limit(filter.limit);
}
