import { readFile } from "node:fs/promises";
import { connect } from "@/db/client";
import { readSettings } from "@/server/config/settings";
import { verifyAuditChain } from "@/server/services/audit";
import { verifyAuditExport } from "@/server/services/audit-export";
import { openCliDatabase } from "./database";

/**
 * `npm run audit:verify`: checks the whole audit chain; exit code 0 when it holds, 1 when it is broken.
 * `npm run audit:verify -- FILE`: checks a signed export offline, without the database.
 */
async function main() {
  const file = process.argv[2];
  if (file) return verifyFile(file);
  const settings = readSettings();
  const database = await openCliDatabase(settings);
  const { db, sql } = connect(database.url, 2);
  try {
    const verdict = await verifyAuditChain(db);
    if (verdict.ok) {
      console.log(`Audit chain verified: ${verdict.checked} events, head #${verdict.headSeq} ${verdict.headHash}`);
      return 0;
    }
    console.error(verdict.problem.message);
    console.error(`(${verdict.checked} events before it verified)`);
    return 1;
  } finally {
    await sql.end();
    await database.close();
  }
}

async function verifyFile(file: string): Promise<number> {
  const verdict = verifyAuditExport(await readFile(file, "utf8"));
  if (verdict.ok) {
    console.log(`Audit export verified: ${verdict.events} events, signed by key ${verdict.fingerprint}${verdict.headSeq ? `, chain head #${verdict.headSeq} at export` : ""}`);
    console.log("Compare the key fingerprint with the one Slipway shows on its Audit page.");
    return 0;
  }
  for (const problem of verdict.problems) console.error(problem);
  if (verdict.fingerprint) console.error(`(signed by key ${verdict.fingerprint})`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`audit:verify failed: ${(error as Error).message}`);
    process.exit(2);
  },
);
