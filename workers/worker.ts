import { randomUUID } from "node:crypto";
import os from "node:os";
import postgres from "postgres";
import { connect } from "@/db/client";
import { onShutdown } from "@/server/cli/child-lifecycle";
import { deriveKey, loadSecretKey } from "@/server/config/secret-key";
import { readSettings, smtpSettings } from "@/server/config/settings";
import { startBoss } from "@/server/queue/boss";
import Docker from "dockerode";
import { registerDeployer } from "./deployer/deployer";
import { registerEmail } from "./governance/email";
import { registerGovernance } from "./governance/governance";
import { createDockerExecutor } from "./executors/docker";
import { createLocalExecutor } from "./executors/local";
import { registerTriggerWorkers } from "./triggers";
import { startEngine } from "./engine/engine";
import { startHeartbeat, HEARTBEAT_INTERVAL_MS } from "./heartbeat";

/** A worker process: `npm run worker` starts one against DATABASE_URL; `npm start` starts one itself. */
async function main() {
  const settings = readSettings();
  const url = settings.DATABASE_URL;
  if (!url) {
    console.error("npm run worker needs DATABASE_URL: the connection URL of the Slipway database this worker serves.");
    process.exit(1);
  }
  const labels = (process.env.SLIPWAY_WORKER_LABELS ?? "").split(",").map((l) => l.trim()).filter(Boolean);
  const concurrency = Number(process.env.SLIPWAY_WORKER_CONCURRENCY ?? 4);
  const workerId = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const masterKey = loadSecretKey(settings, settings.dataDir, { create: false });
  const { db, sql } = connect(url, concurrency + 4);
  const listen = postgres(url, { max: 1, onnotice: () => undefined });
  const boss = await startBoss(url);
  const stopHeartbeat = await startHeartbeat(boss, db, { workerId, labels });
  const dockerEngine = await reachableDocker();
  const docker = dockerEngine ? createDockerExecutor({ docker: dockerEngine, workerId }) : null;
  const stopTriggers = await registerTriggerWorkers(boss, db, settings.dataDir);
  const engine = await startEngine({
    db,
    listen,
    dataDir: settings.dataDir,
    workerId,
    labels,
    concurrency,
    masterKey,
    local: createLocalExecutor({ stateDir: settings.dataDir }),
    docker,
    dockerEngine,
    lostAfterMs: Number(process.env.SLIPWAY_WORKER_LOST_AFTER_MS ?? HEARTBEAT_INTERVAL_MS * 3),
  });
  const deployer = await registerDeployer(boss, db, {
    workerId,
    dataDir: settings.dataDir,
    routerUrl: `http://127.0.0.1:${settings.SLIPWAY_ROUTER_PORT}`,
    listen,
    secretsKey: deriveKey(masterKey, "secrets"),
    docker: dockerEngine,
  });
  const governance = await registerGovernance(boss, db, { listen, secretsKey: deriveKey(masterKey, "secrets"), baseUrl: settings.url });
  const smtp = smtpSettings();
  const email = smtp ? await registerEmail(boss, { smtp, listen, baseUrl: settings.url }) : null;
  const isolation = docker ? "containers (Docker)" : "local processes (no Docker engine reachable: weaker isolation)";
  console.log(`worker ${workerId} ready: ${concurrency} job slots, jobs with an image run in ${isolation}${labels.length ? `, labels ${labels.join(", ")}` : ""}`);
  onShutdown(
    async () => {
      await engine.stop(20_000);
      await deployer.stop();
      await governance.stop();
      await email?.stop();
      await stopTriggers();
      stopHeartbeat();
      await boss.stop({ graceful: true, wait: true, timeout: 5_000 });
      await listen.end({ timeout: 2 });
      await sql.end({ timeout: 2 });
    },
    { graceMs: 30_000 },
  );
}

/** The Docker engine when one answers (DOCKER_HOST or the local socket). */
async function reachableDocker(): Promise<Docker | null> {
  const engine = new Docker();
  try {
    await Promise.race([engine.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000))]);
  } catch {
    return null;
  }
  return engine;
}

main().catch((error) => {
  console.error(`worker failed to start: ${(error as Error).message}`);
  process.exit(1);
});
