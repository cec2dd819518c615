import { expect, test, type Page } from "@playwright/test";
import { e2e } from "./support/settings";
import { adminSignsIn, boardColumn, runDemoPipeline } from "./support/journey";

/**
 * A freeze window blocks a promotion button with the reason. An admin freezes development and
 * staging from their settings pages; the demo pipeline's deployment to development waits for
 * the freeze, and its page says until when and lets the admin override it with a written
 * reason, shown on it after. The board then turns "Promote to staging" off, saying until when
 * and by which window, and removing the window turns it on again. The release is a fresh run
 * of the demo pipeline, so the journey does not depend on what earlier journeys deployed.
 */

/** The browser's wall clock `offsetMinutes` from now, as a datetime-local field takes it, and the same minute as the server writes it (UTC). */
function clockAt(page: Page, offsetMinutes: number): Promise<{ local: string; utc: string }> {
  return page.evaluate((offset) => {
    const at = new Date(Date.now() + offset * 60_000);
    at.setSeconds(0, 0);
    const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    return { local, utc: `${at.toISOString().replace("T", " ").slice(0, 16)} UTC` };
  }, offsetMinutes);
}


async function openSettings(page: Page, environment: string) {
  await page.goto("/projects/demo");
  await page.getByRole("link", { name: `Settings of ${environment}` }).click();
  await expect(page.getByRole("heading", { level: 3, name: "Freeze windows" })).toBeVisible();
}

/** Freezes the environment from an hour ago until an hour from now; returns when it ends, as the server writes it. */
async function freeze(page: Page, environment: string, name: string): Promise<string> {
  await openSettings(page, environment);
  const starts = await clockAt(page, -60);
  const ends = await clockAt(page, 60);
  const add = page.getByRole("form", { name: "Add a freeze window" });
  await add.getByLabel("Name", { exact: true }).fill(name);
  await add.getByLabel("Starts", { exact: true }).fill(starts.local);
  await add.getByLabel("Ends", { exact: true }).fill(ends.local);
  await add.getByRole("button", { name: "Add freeze window" }).click();
  await expect(page.getByRole("row", { name: new RegExp(name) })).toBeVisible();
  await expect(page.getByTestId("freeze-now")).toContainText(name);
  return ends.utc;
}

async function unfreeze(page: Page, environment: string, name: string) {
  await openSettings(page, environment);
  await page.getByRole("row", { name: new RegExp(name) }).getByRole("button", { name: "Remove" }).click();
  await expect(page.getByRole("row", { name: new RegExp(name) })).toHaveCount(0);
  await expect(page.getByText("Not frozen now.")).toBeVisible();
}

async function openBoard(page: Page) {
  await page.goto("/projects/demo");
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Deployments" }).click();
  await expect(page).toHaveURL("/projects/demo/deployments");
}

test("a freeze holds the pipeline's deployment until an admin overrides it, and turns the promotion into a frozen environment off with the reason", async ({ page }) => {
  // One run of the demo pipeline (checkout, build, a deployment) on a busy machine.
  test.setTimeout(240_000);
  const tag = Date.now().toString(36);
  const codeFreeze = `Code freeze ${tag}`;
  const launchWeek = `Launch week ${tag}`;
  await adminSignsIn(page);
  await freeze(page, "development", codeFreeze);
  const stagingEnds = await freeze(page, "staging", launchWeek);

  // The pipeline's deployment to development waits for the freeze; its page says until when.
  const run = await runDemoPipeline(page);
  const version = `1.0.${run}`;
  await openBoard(page);
  const development = boardColumn(page, "development");
  await development.getByRole("link", { name: `Deployment of ${version}` }).click({ timeout: 120_000 });
  await expect(page.getByTestId("deployment-phase")).toHaveAttribute("data-phase", "queued");
  const held = page.getByTestId("governance-freeze");
  await expect(held).toContainText("Frozen until");
  await expect(held).toContainText(codeFreeze);

  // The admin overrides it with a written reason: it starts, and the page says who overrode it and why.
  const override = page.getByRole("form", { name: "Override the freeze" });
  await override.getByLabel("Why override the freeze").fill("Hotfix");
  await expect(override.getByRole("button", { name: "Override freeze" })).toBeDisabled();
  await override.getByLabel("Why override the freeze").fill("Hotfix for the checkout outage");
  await override.getByRole("button", { name: "Override freeze" }).click();
  await expect(page.getByTestId("freeze-override")).toContainText(`Freeze overridden by ${e2e.adminEmail}`);
  await expect(page.getByTestId("freeze-override")).toContainText("Hotfix for the checkout outage");
  await expect(held).toBeHidden();
  await expect(page.getByTestId("deployment-phase")).toHaveAttribute("data-phase", "succeeded", { timeout: 90_000 });

  // On the board, the promotion into frozen staging is off, and says until when and which window.
  await openBoard(page);
  await expect(development.getByTestId("current-version")).toHaveText(version);
  const promote = development.getByRole("button", { name: "Promote to staging" });
  const frozen = `staging is frozen until ${stagingEnds}: "${launchWeek}". Deployments from pipelines and the API wait and start by themselves then.`;
  await expect(promote).toBeDisabled();
  await expect(promote).toHaveAccessibleDescription(frozen);
  await expect(development.getByText(frozen)).toBeVisible();
  // Deploying to staging by hand is off for the same reason.
  const deployToStaging = boardColumn(page, "staging").getByRole("button", { name: "Deploy…" });
  await expect(deployToStaging).toBeDisabled();
  await expect(deployToStaging).toHaveAccessibleDescription(`Deploy: ${frozen}`);

  // Removing the windows turns the promotion on again.
  await unfreeze(page, "staging", launchWeek);
  await unfreeze(page, "development", codeFreeze);
  await openBoard(page);
  await expect(promote).toBeEnabled();
  await expect(promote).toHaveAccessibleDescription("");
  await expect(development.getByRole("button", { name: "Deploy…" })).toBeEnabled();
});
