import { expect, test, type Browser } from "@playwright/test";
import { e2e } from "./support/settings";
import { adminSignsIn, signInWithSso } from "./support/journey";

/** Rita exists in Slipway only once she has signed in; she does that in her own browser. */
async function ritaSignsInOnce(browser: Browser) {
  const context = await browser.newContext();
  await signInWithSso(await context.newPage(), e2e.sso.login);
  await context.close();
}

test("an admin sets up a project, its environments, a member and a token, and finds each change in the audit trail", async ({ page, browser }) => {
  // A long journey through six pages and two browsers: give it three times the default minute on a busy machine.
  test.slow();
  const run = Date.now().toString(36);
  const projectName = `Checkout ${run}`;
  const slug = `checkout-${run}`;
  const tokenName = `deploy script ${run}`;

  await ritaSignsInOnce(browser);
  // Signed out, Slipway sends a person to the sign-in page.
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
  await adminSignsIn(page);

  // Create a project; the slug follows the name.
  await page.getByRole("link", { name: "New project" }).click();
  await expect(page).toHaveURL("/projects/new");
  await page.getByLabel("Name", { exact: true }).fill(projectName);
  await expect(page.getByLabel("Slug", { exact: true })).toHaveValue(slug);
  await page.getByLabel("Repository URL").fill("https://git.example.com/shop/checkout.git");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(`/projects/${slug}`);
  await expect(page.getByRole("heading", { level: 1, name: projectName })).toBeVisible();

  // Move production before staging; the order holds after a reload.
  const environments = page.getByRole("list", { name: "Environments in promotion order" }).getByRole("heading", { level: 3 });
  await expect(environments).toHaveText(["development", "staging", "production"]);
  await page.getByRole("button", { name: "Move production earlier" }).click();
  await expect(page.getByText("Order saved.")).toBeVisible();
  await page.reload();
  await expect(environments).toHaveText(["development", "production", "staging"]);

  // Add a member: someone who never signed in is refused beside the field, Rita is added.
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(`/projects/${slug}/settings`);
  const addMember = page.getByRole("form", { name: "Add a member" });
  const email = addMember.getByLabel("Email");
  await email.fill("nobody@e2e.test");
  await addMember.getByRole("button", { name: "Add member" }).click();
  await expect(addMember.locator(".field-error")).toContainText("No one with the email nobody@e2e.test has signed in");
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await email.fill(e2e.sso.email);
  await addMember.getByLabel("Role").selectOption("developer");
  await addMember.getByRole("button", { name: "Add member" }).click();
  const members = page.getByRole("table", { name: "Members" });
  await expect(members.getByRole("row").filter({ hasText: e2e.sso.email })).toBeVisible();
  await expect(members.getByLabel(`Role of ${e2e.sso.name}`)).toHaveValue("developer");

  // Create a token: its secret shows once, then never again.
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page).toHaveURL("/tokens");
  await page.getByLabel("Name", { exact: true }).fill(tokenName);
  await page.getByLabel("Scope").selectOption("write");
  await page.getByLabel("Expires in").selectOption("7");
  await page.getByRole("button", { name: "Create token" }).click();
  const secretBox = page.getByLabel("New API token");
  await expect(secretBox).toHaveValue(/^slw_/);
  const secret = await secretBox.inputValue();
  await expect(page.getByText("It will not be shown again")).toBeVisible();
  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(secretBox).toHaveCount(0);
  await page.reload();
  const tokenRow = page.getByRole("table", { name: "Your tokens" }).getByRole("row").filter({ hasText: tokenName });
  await expect(tokenRow).toContainText("Active");
  await expect(tokenRow).toContainText(secret.slice(0, 10));
  expect(await page.content()).not.toContain(secret);

  // Revoke it, after confirming.
  await tokenRow.getByRole("button", { name: `Revoke ${tokenName}` }).click();
  const dialog = page.getByRole("dialog", { name: `Revoke the token “${tokenName}”?` });
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(dialog).toBeHidden();
  await expect(tokenRow).toContainText("Revoked");

  // The audit trail lists each change, and the chain verifies.
  await page.getByRole("link", { name: "Audit" }).click();
  await expect(page).toHaveURL("/audit");
  await expect(page.locator(".badge.ok")).toHaveText(/^Chain verified: \d+ events$/);
  const events = page.getByRole("table", { name: "Audit events" });
  const filters = page.getByRole("form", { name: "Audit filters" });

  await filters.getByLabel("Project").selectOption({ label: projectName });
  await filters.getByRole("button", { name: "Apply filters" }).click();
  for (const action of ["project.create", "environment.reorder", "member.add"]) {
    await expect(events.getByRole("row").filter({ hasText: action }).filter({ hasText: projectName })).toHaveCount(1);
  }
  await expect(events.getByRole("row").filter({ hasText: "environment.reorder" })).toContainText("production");
  await expect(events.getByRole("row").filter({ hasText: "member.add" })).toContainText(e2e.sso.email);

  await filters.getByLabel("Project").selectOption({ label: "All projects" });
  await filters.getByLabel("Action starts with").fill("token.");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  for (const action of ["token.create", "token.revoke"]) {
    await expect(events.getByRole("row").filter({ hasText: action }).filter({ hasText: tokenName })).toHaveCount(1);
  }
  await expect(events.getByRole("row").filter({ hasText: "project.create" })).toHaveCount(0);
});
