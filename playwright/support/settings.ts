import { existsSync } from "node:fs";

/** Ports and accounts of the end-to-end run; each can be moved with its variable. */
export const e2e = {
  port: Number(process.env.E2E_PORT ?? 3210),
  routerPort: Number(process.env.E2E_ROUTER_PORT ?? 3211),
  dbPort: Number(process.env.E2E_DB_PORT ?? 54339),
  oidcPort: Number(process.env.E2E_OIDC_PORT ?? 3212),
  adminEmail: "admin@e2e.test",
  adminPassword: "e2e-admin-password",
  sso: { login: "rita", email: "rita.manager@e2e.test", name: "Rita Manager", buttonLabel: "Test SSO" },
  /** More people in the SSO provider, by the login typed on its page (any other login is Rita). */
  ssoPeople: {
    dana: { email: "dana.developer@e2e.test", name: "Dana Developer" },
    arlo: { email: "arlo.author@e2e.test", name: "Arlo Author" },
    mira: { email: "mira.maintainer@e2e.test", name: "Mira Maintainer" },
  } as Record<string, { email: string; name: string }>,
  /** Router ports the approval journeys' own projects serve their environments on (E2E_TARGET_PORTS, e.g. "3824,3825,3826"). */
  targetPorts: (process.env.E2E_TARGET_PORTS ?? "3224,3225,3226").split(",").map(Number),
  chromium: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
};

export const baseURL = `http://localhost:${e2e.port}`;
export const oidcIssuer = `http://localhost:${e2e.oidcPort}`;

/** Journeys need Chromium: without it they are skipped loudly, except in CI, where that is a failure. */
export function chromiumMissingReason(): string | null {
  if (existsSync(e2e.chromium)) return null;
  return `Chromium not found at ${e2e.chromium} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
}
