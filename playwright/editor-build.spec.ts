import { expect, test, type Page } from "@playwright/test";
import { createProjectWithoutRepository, drawNeed } from "./support/editor";
import { adminSignsIn } from "./support/journey";

// The editor puts a graph, a panel and the YAML side by side: a laptop-sized window.
test.use({ viewport: { width: 1440, height: 900 } });

/** Where each node sits on the canvas, in canvas coordinates (independent of zoom and scroll). */
async function nodePlaces(page: Page) {
  return page.locator(".react-flow__node").evaluateAll((nodes) => Object.fromEntries(nodes.map((n) => [n.getAttribute("data-id"), (n as HTMLElement).style.transform])));
}

test("a pipeline built with the mouse is saved as a revision and reopens the same", async ({ page }) => {
  test.slow();
  const slug = `visual-${Date.now().toString(36)}`;
  await adminSignsIn(page);

  // A project whose pipeline lives in Slipway: moved there from the (unreadable) repository.
  await createProjectWithoutRepository(page, `Visual ${slug}`, slug);
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Editor" }).click();
  await expect(page.getByTestId("repository-notice")).toBeVisible();
  await page.getByRole("button", { name: "Edit it in Slipway instead" }).click();
  await expect(page.getByTestId("save-status")).toHaveText("Not saved yet");

  // Three jobs from the palette, chained by dragging handle to handle.
  const palette = page.getByRole("complementary", { name: "Palette" });
  for (let i = 0; i < 3; i++) await palette.getByRole("button", { name: "+ Job", exact: true }).click();
  for (const id of ["job", "job-2", "job-3"]) await expect(page.locator(`.react-flow__node[data-id="${id}"]`)).toBeVisible();
  await drawNeed(page, "job", "job-2");
  await drawNeed(page, "job-2", "job-3");
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
  const yaml = page.getByLabel("Pipeline YAML");
  await expect(yaml).toHaveValue(/job-2:\n {4}needs: \[job\]/);
  await expect(yaml).toHaveValue(/job-3:\n {4}needs: \[job-2\]/);

  // Fill the first step of the middle job in its panel; the YAML follows as it is typed.
  await page.locator('.react-flow__node[data-id="job-2"]').dblclick();
  const panel = page.getByRole("region", { name: "Job job-2" });
  await panel.getByLabel("Display name").fill("Compile");
  const script = panel.getByLabel("Step 1 script");
  await script.fill("npm ci\nnpm run build");
  await expect(yaml).toHaveValue(/name: Compile/);
  await expect(yaml).toHaveValue(/npm run build/);
  await expect(page.locator('.react-flow__node[data-id="job-2"]')).toContainText("Compile");

  // An in-app link asks before unsaved work is left behind.
  page.once("dialog", (dialog) => void dialog.dismiss());
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Overview" }).click();
  await expect(page).toHaveURL(`/projects/${slug}/editor`);

  await page.getByLabel("Revision message").fill("Three jobs in a row");
  await page.getByRole("button", { name: "Save revision" }).click();
  await expect(page.getByTestId("save-status")).toHaveText("Saved as revision 1");
  const saved = await yaml.inputValue();
  const places = await nodePlaces(page);

  await page.reload();
  await expect(page.getByTestId("pipeline-canvas")).toHaveAttribute("data-ready", "true");
  await expect(page.getByLabel("Pipeline YAML")).toHaveValue(saved);
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
  expect(await nodePlaces(page)).toEqual(places);
  await expect(page.locator('.react-flow__node[data-id="job-2"]')).toContainText("Compile");
  await expect(page.getByText("No problems: the pipeline validates.")).toBeVisible();

  // The revision list shows it; undo works over graph edits.
  await page.getByRole("button", { name: "Revisions" }).click();
  await expect(page.getByRole("region", { name: "Revisions" })).toContainText("Three jobs in a row");
  await page.locator('.react-flow__node[data-id="job-3"]').click();
  await page.keyboard.press("Delete");
  await expect(page.locator('.react-flow__node[data-id="job-3"]')).toHaveCount(0);
  await page.keyboard.press("Control+z");
  await expect(page.locator('.react-flow__node[data-id="job-3"]')).toBeVisible();
  await expect(page.getByLabel("Pipeline YAML")).toHaveValue(saved);
});
