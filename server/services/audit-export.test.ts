import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser } from "@/server/testing/fixtures";
import { recordAudit } from "./audit";
import { exportAudit, keyFingerprint, publicKeyText, signingKeyFrom, toCsv, verifyAuditExport, type SignedExport } from "./audit-export";
import { setProtectionRules } from "./governance-rules";

let t: TestDatabase;
let owner: User;
const key = signingKeyFrom(randomBytes(32));

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
});

afterAll(async () => {
  await t.close();
});

async function signedExportOfAProject() {
  const project = await createProjectAs(t.db, owner);
  const [env] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id) });
  await setProtectionRules(t.db, actorFor(owner), { projectId: project.id, environmentId: env.id, rules: { separationOfDuties: false } });
  await recordAudit(t.db, actorFor(owner), { action: "deployment.create", objectType: "deployment", objectId: "d1", projectId: project.id, after: { note: "=cmd|' /C calc'!A0" } });
  const file = await exportAudit(t.db, { filter: { projectId: project.id }, scope: { projectIds: [project.id] }, format: "signed", exportedBy: owner.email, key });
  return { project, file };
}

describe("audit exports", () => {
  it("sign the filtered events, oldest first, naming the chain's head; an untouched copy verifies offline", async () => {
    const { file } = await signedExportOfAProject();
    const doc = JSON.parse(file.body) as SignedExport;
    expect(doc.events.map((e) => e.action)).toEqual(["project.create", "environment.protection.separation_of_duties_off", "deployment.create"]);
    expect(doc.chain.ok).toBe(true);
    expect(doc.chain.headSeq).toBe(doc.events.at(-1)!.seq);
    const verdict = verifyAuditExport(file.body);
    expect(verdict).toEqual({ ok: true, events: 3, fingerprint: keyFingerprint(publicKeyText(key)), headSeq: doc.chain.headSeq, problems: [] });
  });

  it("detect an edited event, a re-signed forgery's broken links, and a changed file", async () => {
    const { file } = await signedExportOfAProject();
    const doc = JSON.parse(file.body) as SignedExport;

    const edited = structuredClone(doc);
    edited.events[1].actorLabel = "someone-else@example.test";
    expect(verifyAuditExport(JSON.stringify(edited)).problems).toEqual([
      "The signature does not match the content: the file was changed after it was exported.",
      `Event ${doc.events[1].seq} (environment.protection.separation_of_duties_off) does not match its hash: it was altered.`,
    ]);

    // Someone drops the middle event and signs the file again with a key of their own: the fingerprint changes, and the hashes still tell.
    const forged = structuredClone(doc);
    forged.events[2].prevHash = "0".repeat(64);
    const otherKey = signingKeyFrom(randomBytes(32));
    const { signature: _s, ...unsigned } = forged;
    const { canonicalJson } = await import("./audit-hash");
    const { sign } = await import("node:crypto");
    forged.signature = { algorithm: "ed25519", publicKey: publicKeyText(otherKey), value: sign(null, Buffer.from(canonicalJson(unsigned)), otherKey).toString("base64") };
    const verdict = verifyAuditExport(JSON.stringify(forged));
    expect(verdict.fingerprint).not.toBe(keyFingerprint(publicKeyText(key)));
    expect(verdict.problems).toEqual([
      `Event ${doc.events[2].seq} (deployment.create) does not match its hash: it was altered.`,
      `Event ${doc.events[2].seq} does not follow event ${doc.events[1].seq}: the chain is broken between them.`,
    ]);

    expect(verifyAuditExport("not json").problems).toEqual(["The file is not JSON."]);
    expect(verifyAuditExport("{}").problems).toEqual(["The file is not a signed Slipway audit export (slipway-audit-export/1)."]);
  });

  it("as CSV, quote what needs it and defuse spreadsheet formulas", async () => {
    const { project } = await signedExportOfAProject();
    const csv = await exportAudit(t.db, { filter: { projectId: project.id, action: "deployment." }, scope: { projectIds: [project.id] }, format: "csv", exportedBy: owner.email, key });
    const [header, row] = csv.body.split("\r\n");
    expect(header).toBe("seq,at,actorId,actorLabel,action,objectType,objectId,projectId,ip,via,before,after,prevHash,hash");
    expect(row).toContain(`,deployment.create,deployment,d1,${project.id},`);
    expect(row).toContain(`"{""note"":""=cmd|' /C calc'!A0""}"`);
    expect(toCsv([{ ...JSON.parse(JSON.stringify({ seq: 1, at: "x", actorId: null, actorLabel: "=SUM(A1)", action: "a", objectType: "o", objectId: null, projectId: null, before: null, after: null, ip: null, via: "v", prevHash: "p", hash: "h" })) }])).toContain(",'=SUM(A1),");
  });
});
