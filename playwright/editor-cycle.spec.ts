import { expect, test } from "@playwright/test";
import { createProjectWithoutRepository, drawNeed } from "./support/editor";
import { adminSignsIn } from "./support/journey";

// The editor puts a graph, a panel and the YAML side by side: a laptop-sized window.
test.use({ viewport: { width: 1440, height: 900 } });

test("a need that would close a cycle is refused, and the cycle is named", async ({ page }) => {
  test.slow();
  const slug = `cycle-${Date.now().toString(36)}`;
  await adminSignsIn(page);
  await createProjectWithoutRepository(page, `Cycle ${slug}`, slug);
  await page.goto(`/projects/${slug}/editor`);
  await page.getByRole("button", { name: "Edit it in Slipway instead" }).click();

  const palette = page.getByRole("complementary", { name: "Palette" });
  await palette.getByRole("button", { name: "+ Job", exact: true }).click();
  await palette.getByRole("button", { name: "+ Job", exact: true }).click();
  await palette.getByRole("button", { name: "+ Deploy job" }).click();
  await drawNeed(page, "job", "job-2");
  await drawNeed(page, "job-2", "deploy");
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
  const yaml = page.getByLabel("Pipeline YAML");
  const before = await yaml.inputValue();

  // deploy -> job would make job need deploy, which needs job-2, which needs job.
  await drawNeed(page, "deploy", "job");
  await expect(page.getByRole("alert").filter({ hasText: "cycle" })).toContainText("deploy -> job -> job-2 -> deploy");
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
  await expect(yaml).toHaveValue(before);

  // A job cannot need itself either.
  await drawNeed(page, "job-2", "job-2");
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);

  // A YAML edit that does not parse leaves the graph as it was and points at its line.
  await yaml.fill(before.replace("jobs:", "jobs: [oops"));
  await expect(page.locator("#yaml-error")).toContainText("Line");
  await expect(page.locator(".react-flow__node")).toHaveCount(3);
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
  await page.keyboard.press("Control+z");
  await expect(yaml).toHaveValue(before);
  await expect(page.locator("#yaml-error")).toHaveCount(0);

  // A YAML edit that parses shows in the graph at once, and a validation error sits on its node.
  await yaml.fill(before.replace("needs: [job]", "needs: [job, ghost]"));
  await expect(page.locator('.react-flow__node[data-id="job-2"]')).toContainText("1 error");
  const problem = page.getByRole("region", { name: "Problems" }).getByRole("button").filter({ hasText: "ghost" });
  await expect(problem).toBeVisible();
  await problem.click();
  // The problem selects its node and puts the YAML cursor on its line.
  await expect(page.locator('.react-flow__node.selected[data-id="job-2"]')).toBeVisible();
  const selectedLine = await yaml.evaluate((el: HTMLTextAreaElement) => el.value.slice(el.selectionStart, el.selectionEnd));
  expect(selectedLine).toContain("ghost");
});
