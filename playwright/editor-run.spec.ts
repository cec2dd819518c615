import { expect, test } from "@playwright/test";
import { adminSignsIn } from "./support/journey";

// The editor puts a graph, a panel and the YAML side by side: a laptop-sized window.
test.use({ viewport: { width: 1440, height: 900 } });

test("a run started from the editor turns its nodes running, then green, live, with a log that streams", async ({ page }) => {
  test.slow();
  const slug = `live-${Date.now().toString(36)}`;
  await adminSignsIn(page);

  // The demo project's repository has commits to run; a new project builds it with a pipeline kept in Slipway.
  await page.goto("/projects/demo");
  const repository = (await page.locator("header code").first().textContent())!.trim();
  await page.goto("/projects/new");
  await page.getByLabel("Name", { exact: true }).fill(`Live ${slug}`);
  await page.getByLabel("Slug", { exact: true }).fill(slug);
  await page.getByLabel("Repository URL").fill(repository);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(`/projects/${slug}`);
  await page.goto(`/projects/${slug}/editor`);
  await expect(page.getByTestId("repository-notice")).toContainText(".slipway.yml");
  await page.getByRole("button", { name: "Edit it in Slipway instead" }).click();
  // The repository's pipeline becomes revision 1, so nothing is lost in the move.
  await expect(page.getByTestId("save-status")).toHaveText("Saved as revision 1");
  await expect(page.locator('.react-flow__node[data-id="build"]')).toBeVisible();
  // The demo's pipeline also deploys to development, where this new project has no target: leave that job out.
  const yaml = page.getByLabel("Pipeline YAML");
  await yaml.fill((await yaml.inputValue()).replace(/\n {2}deploy:\n[\s\S]*$/, "\n"));
  await expect(page.locator('.react-flow__node[data-id="deploy"]')).toHaveCount(0);

  // The build job takes a few seconds and says so, so its running state and its log can be watched.
  await page.locator('.react-flow__node[data-id="build"]').dblclick();
  const panel = page.getByRole("region", { name: "Job build" });
  await panel.getByLabel("Kind of step to add").selectOption("run");
  await panel.getByRole("button", { name: "Add step" }).click();
  await panel.getByLabel("Step 4 script").fill('for i in 1 2 3 4 5 6; do echo "packing part $i"; sleep 1; done');
  await page.getByRole("button", { name: "Save revision" }).click();
  await expect(page.getByTestId("save-status")).toHaveText("Saved as revision 2");

  await page.getByRole("button", { name: "▶ Run" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${slug}/runs/[0-9a-f-]+/graph$`));
  const build = page.locator('.react-flow__node[data-id="build"] [data-status]').first();
  await expect(build).toHaveAttribute("data-status", "running", { timeout: 60_000 });
  await expect(page.locator('.react-flow__node[data-id="test"] [data-status]').first()).toHaveAttribute("data-status", "succeeded");

  // The log opens beside the graph while the job still runs, and lines keep arriving.
  await page.locator('.react-flow__node[data-id="build"]').click();
  const log = page.getByRole("region", { name: "Log of Build" });
  await expect(log).toContainText("packing part 1", { timeout: 30_000 });
  await expect(build).toHaveAttribute("data-status", "running");
  await expect(log).toContainText("packing part 6", { timeout: 30_000 });

  await expect(build).toHaveAttribute("data-status", "succeeded", { timeout: 60_000 });
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded");
  // The critical path runs through the slowest chain: one of test or lint, then build.
  await expect(page.locator('.react-flow__node[data-id="build"]')).toContainText("critical");

  // A node links to its job's log on the run page, and the run page links back to the graph.
  const graphUrl = page.url();
  await page.locator('.react-flow__node[data-id="build"]').getByRole("link", { name: "Log of Build on the run page" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${slug}/runs/\\d+\\?job=build$`));
  await expect(page.getByRole("region", { name: "Log of Build" })).toContainText("packing part 6");
  await page.getByRole("link", { name: "Graph of this run" }).click();
  await expect(page).toHaveURL(graphUrl);
  await expect(page.locator('.react-flow__node[data-id="build"] [data-status]').first()).toHaveAttribute("data-status", "succeeded");
});
