import { expect, type Page } from "@playwright/test";

/** A project created in the UI on a repository that cannot be read, so its pipeline will live in Slipway. */
export async function createProjectWithoutRepository(page: Page, name: string, slug: string) {
  await page.goto("/projects/new");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Slug", { exact: true }).fill(slug);
  await page.getByLabel("Repository URL").fill(`/nonexistent/${slug}.git`);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(`/projects/${slug}`);
}

/** Drags from one job's right handle to another's left handle with the mouse, as a person draws an edge. */
export async function drawNeed(page: Page, from: string, to: string) {
  const start = await page.locator(`.react-flow__node[data-id="${from}"] .react-flow__handle.source`).boundingBox();
  const end = await page.locator(`.react-flow__node[data-id="${to}"] .react-flow__handle.target`).boundingBox();
  if (!start || !end) throw new Error(`handles of ${from} or ${to} are not on screen`);
  await page.mouse.move(start.x + start.width / 2, start.y + start.height / 2);
  await page.mouse.down();
  await page.mouse.move(end.x + end.width / 2, end.y + end.height / 2, { steps: 12 });
  await page.mouse.up();
}
