import { defineConfig } from "@playwright/test";
import { baseURL, chromiumMissingReason, e2e } from "./playwright/support/settings";

const missing = chromiumMissingReason();
if (missing) {
  if (process.env.CI) throw new Error(`End-to-end journeys cannot run in CI: ${missing}.`);
  console.warn(`\n!!! SKIPPING every end-to-end journey: ${missing}. !!!\n`);
}

export default defineConfig({
  testDir: "./playwright",
  testMatch: missing ? [] : "**/*.spec.ts",
  globalSetup: "./playwright/support/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: e2e.chromium,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
});
