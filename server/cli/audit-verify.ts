import { connect } from "@/db/client";
import { readSettings } from "@/server/config/settings";
import { verifyAuditChain } from "@/server/services/audit";
import { openCliDatabase } from "./database";

/** `npm run audit:verify`: checks the whole audit chain; exit code 0 when it holds, 1 when it is broken. */
async function main() {
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

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`audit:verify failed: ${(error as Error).message}`);
    process.exit(2);
  },
);
