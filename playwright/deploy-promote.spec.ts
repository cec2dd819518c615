import { expect, test } from "@playwright/test";
import { adminSignsIn, boardColumn, markDocument, runDemoPipeline, sameDocument } from "./support/journey";

/**
 * The demo's release flow as a newcomer meets it: the pipeline builds and deploys to
 * development by itself; the environments board promotes the release to staging after a
 * confirmation that says what changes, updates live, and rolls development back.
 */



test("the demo deploys to development by itself; the board promotes it to staging, updates live, and rolls back", async ({ page }) => {
  // Two pipeline runs (checkout, build, a deployment each) and two more deployments, on a busy machine.
  test.setTimeout(360_000);
  await adminSignsIn(page);

  // Nothing was promoted yet: the board says why staging cannot go further, and production is the last stop.
  await page.goto("/projects/demo");
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Deployments" }).click();
  await expect(page).toHaveURL("/projects/demo/deployments");
  await expect(page.getByRole("heading", { level: 2, name: "Deployments" })).toBeVisible();
  const development = boardColumn(page, "development");
  const staging = boardColumn(page, "staging");
  await expect(staging.getByTestId("current-version")).toHaveText("Nothing deployed yet");
  await expect(staging.getByRole("button", { name: "Promote to production" })).toBeDisabled();
  await expect(staging.getByRole("button", { name: "Promote to production" })).toHaveAccessibleDescription("Nothing is deployed to staging yet.");
  await expect(boardColumn(page, "production").getByRole("button", { name: /^Promote/ })).toHaveCount(0);

  // The pipeline builds and deploys to development: its fourth job follows the deployment to the end.
  const first = await runDemoPipeline(page);
  await expect(page.getByRole("navigation", { name: "Jobs" }).getByRole("button", { name: /^Deploy to development:/ })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded", { timeout: 150_000 });
  const v1 = `1.0.${first}`;

  // Development serves it, healthy, from the router's port.
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Deployments" }).click();
  await expect(development.getByTestId("current-version")).toHaveText(v1);
  await expect(development.getByTestId("environment-phase")).toHaveAttribute("data-phase", "succeeded");
  await expect(development.getByText(new RegExp(`^Deployed .* by run #${first} \\(deploy\\)$`))).toBeVisible();
  await expect(development.getByTestId("environment-health")).toHaveAttribute("data-health", "healthy", { timeout: 20_000 });
  const url = await development.getByRole("link", { name: /^http:\/\/.+:\d+\/$/ }).getAttribute("href");
  const served = await page.request.get(url!);
  expect(await served.text()).toContain(`version ${v1}`);
  await markDocument(page);

  // Promote to staging: the confirmation shows exactly what changes before anything does.
  await development.getByRole("button", { name: "Promote to staging" }).click();
  const promote = page.getByRole("dialog", { name: `Promote ${v1} to staging` });
  await expect(promote.getByTestId("change-version")).toHaveText(`nothing yet → ${v1}`);
  await expect(promote.getByTestId("change-commit")).toContainText(/[0-9a-f]{7}/);
  await expect(promote.getByTestId("change-digest")).toContainText("sha256:");
  await expect(promote.getByTestId("change-variables")).toContainText("Same variables as development.");
  await expect(promote).toContainText("Blue-green: 2 instances");
  await promote.getByRole("button", { name: "Promote to staging" }).click();
  await expect(promote).toBeHidden();
  await expect(page.getByTestId("board-notice")).toContainText(`Promotion of ${v1} to staging started`);

  // The board follows it without a reload until staging serves it.
  await expect(staging.getByTestId("current-version")).toHaveText(v1, { timeout: 60_000 });
  await expect(staging.getByTestId("environment-phase")).toHaveAttribute("data-phase", "succeeded");
  await expect(staging.getByText(/^Promoted .* by you$/)).toBeVisible();
  expect(await sameDocument(page)).toBe(true);

  // A second run deploys a newer release to development; the open board shows it arrive.
  const second = await runDemoPipeline(page);
  const v2 = `1.0.${second}`;
  await page.goto("/projects/demo/deployments");
  await markDocument(page);
  await expect(development.getByTestId("current-version")).toHaveText(v2, { timeout: 150_000 });
  expect(await sameDocument(page)).toBe(true);

  // Roll development back to the release before: the dialog says which way it goes.
  await expect(development.getByRole("button", { name: "Roll back…" })).toBeEnabled();
  await development.getByRole("button", { name: "Roll back…" }).click();
  const rollback = page.getByRole("dialog", { name: "Roll back development" });
  await expect(rollback.getByLabel("Return to")).toHaveValue(/.+/);
  await expect(rollback.getByTestId("change-version")).toHaveText(`${v2} → ${v1} (an earlier release)`);
  await expect(rollback).toContainText("Blue-green");
  await rollback.getByRole("button", { name: "Roll back" }).click();
  await expect(rollback).toBeHidden();
  await expect(development.getByTestId("current-version")).toHaveText(v1, { timeout: 60_000 });
  await expect(development.getByText(/^Rolled back .* by you$/)).toBeVisible();
  expect(await sameDocument(page)).toBe(true);

  // The rollback's own page: finished, all traffic on the earlier release, its steps done.
  await page.getByTestId("board-notice").getByRole("link", { name: "Follow it" }).click();
  await expect(page.getByRole("heading", { level: 2, name: `Rollback of ${v1} to development` })).toBeVisible();
  await expect(page.getByTestId("deployment-phase")).toHaveAttribute("data-phase", "succeeded");
  await expect(page.getByTestId("traffic-bar")).toHaveAttribute("aria-label", `Traffic split: ${v1} 100%`);
  await expect(page.getByTestId("strategy-steps").locator("li")).not.toHaveCount(0);
  await expect(page.getByTestId("strategy-steps").locator('li:not([data-status="done"])')).toHaveCount(0);
  await expect(page.getByRole("group", { name: "Deployment actions" }).getByRole("button", { name: "Abort" })).toBeDisabled();

  // The release page says where it is deployed now.
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Releases" }).click();
  await expect(page.locator(`tr[data-release="${v1}"] [data-testid="live-in"]`)).toHaveText(/development.*staging|staging.*development/);
  await page.getByRole("link", { name: v1, exact: true }).click();
  const deployedTo = page.getByTestId("deployed-to");
  await expect(deployedTo.locator('tr[data-environment="development"]')).toContainText("live");
  await expect(deployedTo.locator('tr[data-environment="staging"]')).toContainText("live");
  await expect(deployedTo.locator('tr[data-environment="development"]')).toContainText("Rollback");
});

test("an environment's target is checked when saved, and says which field is wrong", async ({ page }) => {
  await adminSignsIn(page);
  await page.goto("/projects/demo");
  await page.getByRole("link", { name: "Settings of production" }).click();
  const target = page.getByRole("form", { name: "Target" });
  await expect(target.getByLabel("Runs on")).toHaveValue("local");
  await expect(target.getByLabel("Strategy")).toHaveValue("canary");
  await expect(target.getByLabel("Steps (YAML)")).toHaveValue(/setWeight: 20/);
  const port = target.getByLabel("Router port");
  const saved = await port.inputValue();

  await port.fill("80");
  await target.getByRole("button", { name: "Save target" }).click();
  await expect(port).toHaveAttribute("aria-invalid", "true");
  await expect(target).toContainText("listenPort must be between 1024 and 65535");

  // Back to the port it had, with one more canary step: saved.
  await port.fill(saved);
  await target.getByLabel("Steps (YAML)").fill("- setWeight: 10\n- pause: {}\n- setWeight: 60\n");
  await target.getByRole("button", { name: "Save target" }).click();
  await expect(target.getByRole("status")).toHaveText("Saved.");
  await page.reload();
  await expect(page.getByRole("form", { name: "Target" }).getByLabel("Steps (YAML)")).toHaveValue(/setWeight: 10[\s\S]*pause: \{\s*\}[\s\S]*setWeight: 60/);
});
