import { randomUUID } from "node:crypto";
import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connect } from "@/db/client";
import { auditEvents, type AuditEvent } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { auditFilterInput } from "@/server/schemas/audit";
import type { Actor } from "./actor";
import { listAuditEvents, recordAudit, verifyAuditChain, type ChainVerdict } from "./audit";
import { GENESIS_HASH, hashEvent } from "./audit-hash";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t.close();
});

const alice: Actor = { userId: randomUUID(), label: "alice@example.test", ip: "198.51.100.4", via: "session" };

async function append(actor: Actor, action: string, details: { projectId?: string; before?: unknown; after?: unknown } = {}) {
  return t.db.transaction((tx) => recordAudit(tx, actor, { action, objectType: "thing", objectId: action, ...details }));
}

async function chain(): Promise<AuditEvent[]> {
  return t.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
}

/** Empties the trail and writes five ordinary events, seq 1 to 5. */
async function freshChain(): Promise<AuditEvent[]> {
  await t.db.execute(sql`truncate audit_events`);
  await append(alice, "project.create", { after: { name: "Shop", slug: "shop", environments: ["development", "staging", "production"] } });
  await append(alice, "member.add", { after: { email: "bo@example.test", role: "developer" } });
  await append(alice, "environment.update", { before: { variables: {} }, after: { variables: { LOG_LEVEL: "debug" } } });
  await append(alice, "project.update", { before: { description: "" }, after: { description: "Our shop" } });
  await append(alice, "token.create", { after: { name: "CI", scope: "read" } });
  return chain();
}

function problemOf(verdict: ChainVerdict) {
  if (verdict.ok) throw new Error(`Expected the chain to be broken, but it verified (${verdict.checked} events).`);
  return verdict.problem;
}

describe("an intact audit trail", () => {
  beforeEach(async () => {
    await t.db.execute(sql`truncate audit_events`);
  });

  it("verifies when empty", async () => {
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 0, headSeq: 0, headHash: GENESIS_HASH });
  });

  it("numbers events densely and links each to the hash of the one before", async () => {
    const rows = await freshChain();
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i].prevHash).toBe(rows[i - 1].hash);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(5);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 5, headSeq: 5, headHash: rows[4].hash });
  });

  it("records who acted, from where and how", async () => {
    const event = await append(alice, "project.archive", { projectId: randomUUID(), before: { archivedAt: null } });
    expect(event).toMatchObject({ actorId: alice.userId, actorLabel: alice.label, ip: alice.ip, via: "session", action: "project.archive" });
  });

  it("still verifies when details hold dates, nested objects in any key order and unicode", async () => {
    const archivedAt = new Date("2025-03-04T05:06:07.089Z");
    await append(alice, "project.archive", { before: { archivedAt: null }, after: { archivedAt } });
    await append(alice, "odd.details", {
      after: { zeta: 1, alpha: { y: [3, { b: 2, a: 1 }], x: "naïve ✓ 日本" }, skipped: undefined, big: 12345678901234, neg: -0.5 },
    });
    const [archived] = await chain();
    // jsonb stores the date as its ISO string; the hash must cover what is stored.
    expect(archived.after).toEqual({ archivedAt: archivedAt.toISOString() });
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: 2 });
  });

  it("leaves no event and no gap behind a change that rolled back", async () => {
    await append(alice, "first");
    await expect(
      t.db.transaction(async (tx) => {
        await recordAudit(tx, alice, { action: "doomed", objectType: "thing" });
        throw new Error("the change failed after its audit event was written");
      }),
    ).rejects.toThrow("the change failed");
    await append(alice, "second");
    const rows = await chain();
    expect(rows.map((r) => [r.seq, r.action])).toEqual([
      [1, "first"],
      [2, "second"],
    ]);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: 2 });
  });

  it("stays one dense, valid chain when 20 transactions append at once", async () => {
    // A pool big enough that all 20 transactions really are open together.
    const wide = connect(t.url, 20);
    try {
      const events = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          wide.db.transaction(async (tx) => {
            await tx.execute(sql`select pg_sleep(0.01)`);
            const event = await recordAudit(tx, { ...alice, label: `worker-${i}` }, { action: "parallel.append", objectType: "thing", objectId: String(i) });
            await tx.execute(sql`select pg_sleep(0.005)`);
            return event;
          }),
        ),
      );
      expect(events.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      await wide.sql.end();
    }
    const rows = await chain();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.objectId)).size).toBe(20);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: 20, headSeq: 20 });
  });

  it("verifies across read batches", async () => {
    const rows = await freshChain();
    expect(await verifyAuditChain(t.db, 2)).toEqual({ ok: true, checked: 5, headSeq: 5, headHash: rows[4].hash });
  });
});

describe("a tampered audit trail", () => {
  let original: AuditEvent[];

  beforeEach(async () => {
    original = await freshChain();
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it("is not fooled by a rewrite that keeps the content the same", async () => {
    await t.db.execute(sql`update audit_events set after = after, before = before`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: 5 });
  });

  it("names an event whose details were edited as altered", async () => {
    await t.db.execute(sql`update audit_events set after = '{"variables":{"LOG_LEVEL":"error"}}'::jsonb where seq = 3`);
    const problem = problemOf(await verifyAuditChain(t.db));
    expect(problem).toEqual({ seq: 3, kind: "altered", message: "Audit chain broken at event 3: its content was altered after it was written." });
  });

  it("names an event whose actor was changed as altered", async () => {
    await t.db.execute(sql`update audit_events set actor_label = 'mallory@example.test' where seq = 2`);
    expect(problemOf(await verifyAuditChain(t.db))).toMatchObject({ seq: 2, kind: "altered" });
  });

  it("names an event whose time was moved as altered", async () => {
    await t.db.execute(sql`update audit_events set at = at - interval '1 day' where seq = 4`);
    expect(problemOf(await verifyAuditChain(t.db))).toMatchObject({ seq: 4, kind: "altered" });
  });

  it("names an event whose stored hash was edited as altered", async () => {
    await t.db.execute(sql`update audit_events set hash = ${"f".repeat(64)} where seq = 3`);
    expect(problemOf(await verifyAuditChain(t.db))).toMatchObject({ seq: 3, kind: "altered" });
  });

  it("catches an edit whose hash was recomputed, at the next event", async () => {
    const edited = { ...original[2], after: { variables: { LOG_LEVEL: "error" } } };
    const { hash: _old, ...fields } = edited;
    await t.db.execute(
      sql`update audit_events set after = ${JSON.stringify(edited.after)}::jsonb, hash = ${hashEvent(fields)} where seq = 3`,
    );
    const problem = problemOf(await verifyAuditChain(t.db));
    expect(problem.seq).toBe(4);
    expect(problem.kind).toBe("inserted");
    expect(problem.message).toBe(
      "Audit chain broken at event 4: it does not follow event 3 (an event was inserted or replaced before it).",
    );
  });

  it("names a deleted middle event as missing", async () => {
    await t.db.execute(sql`delete from audit_events where seq = 3`);
    expect(problemOf(await verifyAuditChain(t.db))).toEqual({
      seq: 3,
      kind: "missing",
      message: "Audit chain broken: event 3 is missing (deleted).",
    });
  });

  it("names the first of several deleted events", async () => {
    await t.db.execute(sql`delete from audit_events where seq in (2, 3)`);
    expect(problemOf(await verifyAuditChain(t.db))).toEqual({
      seq: 2,
      kind: "missing",
      message: "Audit chain broken: events 2 to 3 are missing (deleted).",
    });
  });

  it("finds a deleted event on a read-batch boundary", async () => {
    await t.db.execute(sql`delete from audit_events where seq = 3`);
    expect(problemOf(await verifyAuditChain(t.db, 2))).toMatchObject({ seq: 3, kind: "missing" });
  });

  it("names a forged event inserted by shifting later events as inserted", async () => {
    // Make room at seq 3 (two steps, because the primary key is checked row by row).
    await t.db.execute(sql`update audit_events set seq = -seq where seq >= 3`);
    await t.db.execute(sql`update audit_events set seq = -seq + 1 where seq < 0`);
    // The forger knows the hash function and links the fake to event 2 correctly...
    const forged = {
      seq: 3,
      at: new Date().toISOString(),
      actorId: alice.userId,
      actorLabel: alice.label,
      action: "member.update_role",
      objectType: "member",
      objectId: "mallory",
      projectId: null,
      before: { role: "viewer" },
      after: { role: "admin" },
      ip: alice.ip,
      via: "session",
      prevHash: original[1].hash,
    };
    await t.db.insert(auditEvents).values({ ...forged, hash: hashEvent(forged) });
    // ...but the event after it still points at the real event 2.
    const problem = problemOf(await verifyAuditChain(t.db));
    expect(problem).toMatchObject({ seq: 4, kind: "inserted" });
    expect(problem.message).toContain("does not follow event 3");
  });

  it("names an event replaced by one re-using its predecessor's hash, at the event after it", async () => {
    await t.db.execute(sql`delete from audit_events where seq = 3`);
    const forged = {
      ...original[2],
      action: "environment.delete",
      before: { name: "production" },
      after: null,
      prevHash: original[1].hash,
    };
    const { hash: _old, ...fields } = forged;
    await t.db.insert(auditEvents).values({ ...fields, hash: hashEvent(fields) });
    expect(problemOf(await verifyAuditChain(t.db))).toMatchObject({ seq: 4, kind: "inserted" });
  });

  it("names an event whose link to its predecessor was rewritten as inserted", async () => {
    await t.db.execute(sql`update audit_events set prev_hash = ${original[0].hash} where seq = 3`);
    expect(problemOf(await verifyAuditChain(t.db))).toMatchObject({ seq: 3, kind: "inserted" });
  });

  it("counts only the events before the first break as checked", async () => {
    await t.db.execute(sql`update audit_events set after = '{}'::jsonb where seq = 4`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, checked: 3 });
  });
});

describe("listing audit events", () => {
  const projectA = randomUUID();
  const projectB = randomUUID();
  const bob: Actor = { userId: randomUUID(), label: "bob_100%@example.test", ip: null, via: "token:abc" };

  beforeAll(async () => {
    await t.db.execute(sql`truncate audit_events`);
    await append(alice, "project.create", { projectId: projectA });
    await append(bob, "project.create", { projectId: projectB });
    await append(alice, "environment.update", { projectId: projectA });
    await append(bob, "environment.delete", { projectId: projectA });
    await append(alice, "auth.sign_in");
  });

  const filter = (input: Record<string, unknown> = {}) => auditFilterInput.parse(input);

  it("shows a project's people only that project's events, newest first", async () => {
    const events = await listAuditEvents(t.db, filter({ projectId: projectA }), { projectIds: [projectA] });
    expect(events.map((e) => e.seq)).toEqual([4, 3, 1]);
  });

  it("shows nothing to someone whose scope holds no project, not everything", async () => {
    expect(await listAuditEvents(t.db, filter(), { projectIds: [] })).toEqual([]);
  });

  it("keeps a project scope even when the filter names another project", async () => {
    expect(await listAuditEvents(t.db, filter({ projectId: projectB }), { projectIds: [projectA] })).toEqual([]);
  });

  it("shows a site admin every event, sign-ins included", async () => {
    const events = await listAuditEvents(t.db, filter(), { projectIds: "all" });
    expect(events.map((e) => e.action)).toEqual(["auth.sign_in", "environment.delete", "environment.update", "project.create", "project.create"]);
  });

  it("filters by actor, treating % and _ in the search literally", async () => {
    const byLabel = await listAuditEvents(t.db, filter({ actor: "100%" }), { projectIds: "all" });
    expect(byLabel.map((e) => e.actorLabel)).toEqual([bob.label, bob.label]);
    const byId = await listAuditEvents(t.db, filter({ actor: alice.userId! }), { projectIds: "all" });
    expect(byId.map((e) => e.seq)).toEqual([5, 3, 1]);
    expect(await listAuditEvents(t.db, filter({ actor: "%" }), { projectIds: "all" })).toHaveLength(2);
  });

  it("filters by action prefix and pages with `before`", async () => {
    const environment = await listAuditEvents(t.db, filter({ action: "environment." }), { projectIds: "all" });
    expect(environment.map((e) => e.seq)).toEqual([4, 3]);
    const page = await listAuditEvents(t.db, filter({ before: 4, limit: 2 }), { projectIds: "all" });
    expect(page.map((e) => e.seq)).toEqual([3, 2]);
  });
});
