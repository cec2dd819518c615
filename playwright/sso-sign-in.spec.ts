import { expect, test } from "@playwright/test";
import { e2e } from "./support/settings";

test("a person signs in through the SSO provider and lands signed in with their name", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByRole("button", { name: `Sign in with ${e2e.sso.buttonLabel}` }).click();

  // The provider's own login page, on its own origin.
  await expect(page).toHaveURL(new RegExp(`^http://localhost:${e2e.oidcPort}/`));
  await page.locator('input[name="login"]').fill(e2e.sso.login);
  await page.locator('input[name="password"]').fill("any-password");
  await page.locator('button[type="submit"]').click();
  await page.getByRole("button", { name: "Continue" }).click();

  await expect(page).toHaveURL(`http://localhost:${e2e.port}/`);
  await expect(page.getByTestId("signed-in-as")).toContainText(e2e.sso.name);
  await expect(page.getByTestId("signed-in-as")).toContainText(e2e.sso.email);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
});
