import { expect, type Locator, type Page } from "@playwright/test";
import { e2e } from "./settings";

/** Signs in with the first admin's password on the sign-in page. */
export async function adminSignsIn(page: Page) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(e2e.adminEmail);
  await page.getByLabel("Password").fill(e2e.adminPassword);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signed-in-as")).toContainText(e2e.adminEmail);
}

/** Signs in through the SSO provider's own login page as one of its people. */
export async function signInWithSso(page: Page, login: string) {
  const person = e2e.ssoPeople[login] ?? e2e.sso;
  await page.goto("/sign-in");
  await page.getByRole("button", { name: `Sign in with ${e2e.sso.buttonLabel}` }).click();
  await expect(page).toHaveURL(new RegExp(`^http://localhost:${e2e.oidcPort}/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any-password");
  await page.locator('button[type="submit"]').click();
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByTestId("signed-in-as")).toContainText(person.email);
}

/** Starts the demo pipeline from its Runs page and returns the run's number once its page shows. */
export async function runDemoPipeline(page: Page): Promise<string> {
  await page.goto("/projects/demo/runs");
  await page.getByRole("button", { name: "Run pipeline" }).click();
  await page.getByRole("dialog", { name: "Run pipeline" }).getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/projects\/demo\/runs\/\d+$/, { timeout: 30_000 });
  return page.url().split("/").at(-1)!;
}

/** An environment's column on the environments board. */
export const boardColumn = (page: Page, name: string): Locator => page.locator(`[data-environment="${name}"]`);

/** Marks the document, so a later `sameDocument` proves the page changed without a reload. */
export const markDocument = (page: Page) => page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
export const sameDocument = (page: Page) => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);
