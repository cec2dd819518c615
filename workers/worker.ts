import { randomUUID } from "node:crypto";
import os from "node:os";
import { connect } from "@/db/client";
import { startBoss } from "@/server/queue/boss";
import { onShutdown } from "@/server/cli/child-lifecycle";
import { startHeartbeat } from "./heartbeat";

/** A worker process: `npm run worker` starts one against DATABASE_URL; `npm start` starts one itself. */
async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("npm run worker needs DATABASE_URL: the connection URL of the Slipway database this worker serves.");
    process.exit(1);
  }
  const labels = (process.env.SLIPWAY_WORKER_LABELS ?? "").split(",").map((l) => l.trim()).filter(Boolean);
  const workerId = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const { db, sql } = connect(url, 5);
  const boss = await startBoss(url);
  const stopHeartbeat = await startHeartbeat(boss, db, { workerId, labels });
  console.log(`worker ${workerId} ready${labels.length ? ` (labels: ${labels.join(", ")})` : ""}`);
  onShutdown(async () => {
    stopHeartbeat();
    await boss.stop({ graceful: true, wait: true, timeout: 8_000 });
    await sql.end({ timeout: 2 });
  });
}

main().catch((error) => {
  console.error(`worker failed to start: ${(error as Error).message}`);
  process.exit(1);
});
