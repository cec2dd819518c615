import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stopRecordedInstances } from "../../workers/targets/local-processes";
import { startOidcProvider } from "./oidc-provider";
import { baseURL, chromiumMissingReason, e2e, oidcIssuer } from "./settings";

/**
 * Starts a real Slipway (`npm start`'s entry, embedded PostgreSQL in a fresh
 * folder) configured for SSO against a real OpenID provider, and stops both
 * when the run ends.
 */
export default async function globalSetup() {
  if (chromiumMissingReason()) return;
  const stopOidc = await startOidcProvider();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "slipway-e2e-"));
  const server = spawn(process.execPath, ["server/cli/launch.mjs", "start"], {
    env: {
      ...process.env,
      PORT: String(e2e.port),
      SLIPWAY_URL: baseURL,
      SLIPWAY_ROUTER_PORT: String(e2e.routerPort),
      SLIPWAY_DB_PORT: String(e2e.dbPort),
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_ADMIN_EMAIL: e2e.adminEmail,
      SLIPWAY_ADMIN_PASSWORD: e2e.adminPassword,
      SLIPWAY_OIDC_ISSUER: oidcIssuer,
      SLIPWAY_OIDC_CLIENT_ID: "slipway-e2e",
      SLIPWAY_OIDC_CLIENT_SECRET: "slipway-e2e-secret",
      SLIPWAY_OIDC_NAME: e2e.sso.buttonLabel,
      DATABASE_URL: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  server.stdout!.on("data", (d) => output.push(String(d)));
  server.stderr!.on("data", (d) => output.push(String(d)));
  await waitUntilRunning(server, output);

  return async () => {
    await stop(server);
    await stopRecordedInstances(dataDir);
    await stopOidc();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

async function waitUntilRunning(server: ChildProcess, output: string[], timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`Slipway exited during start:\n${output.join("")}`);
    if (output.join("").includes("Slipway is running at")) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Slipway did not start within ${timeoutMs / 1000} s:\n${output.join("")}`);
}

function stop(server: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (server.exitCode !== null) return resolve();
    server.once("exit", () => resolve());
    server.kill("SIGTERM");
  });
}
