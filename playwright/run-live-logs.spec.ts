import { expect, test, type Page } from "@playwright/test";
import { adminSignsIn } from "./support/journey";

type Watch = { jobStatuses: Record<string, string[]>; sameDocument?: boolean };

/**
 * Records every status each job shows, from the first paint on: a job of the
 * demo can be running for less than a second, shorter than an assertion's
 * polling interval, and the history proves the page changed without a reload.
 */
async function watchJobStatuses(page: Page) {
  await page.addInitScript(() => {
    const watch: Watch = { jobStatuses: {} };
    (window as unknown as { __watch: Watch }).__watch = watch;
    const record = () => {
      document.querySelectorAll("[data-testid^='job-status-']").forEach((el) => {
        const key = el.getAttribute("data-testid")!.slice("job-status-".length);
        const list = (watch.jobStatuses[key] ??= []);
        const status = el.getAttribute("data-status")!;
        if (list.at(-1) !== status) list.push(status);
      });
    };
    new MutationObserver(record).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
  });
}

const readWatch = (page: Page) => page.evaluate(() => (window as unknown as { __watch: Watch }).__watch);

test("an admin runs the demo pipeline by hand and watches its jobs and the build log arrive live", async ({ page }) => {
  // Three jobs check out the demo repository and run on the local executor: give the journey three minutes on a busy machine.
  test.slow();
  await watchJobStatuses(page);
  await adminSignsIn(page);

  // From the demo project to its runs.
  await page.goto("/projects/demo");
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Runs" }).click();
  await expect(page).toHaveURL("/projects/demo/runs");
  await expect(page.getByRole("heading", { level: 2, name: "Runs" })).toBeVisible();

  // Start the pipeline on the default branch, which the dialog fills in.
  await page.getByRole("button", { name: "Run pipeline" }).click();
  const dialog = page.getByRole("dialog", { name: "Run pipeline" });
  await expect(dialog.getByLabel("Branch, tag or commit")).toHaveValue("main");
  await dialog.getByRole("button", { name: "Start run" }).click();

  // The run page (starting fetches the repository first, slow on a busy machine): every change from here on must arrive without a reload.
  await expect(page).toHaveURL(/\/projects\/demo\/runs\/\d+$/, { timeout: 30_000 });
  await expect(page.getByRole("heading", { level: 2, name: /^Run #\d+$/ })).toBeVisible({ timeout: 20_000 });
  await page.evaluate(() => ((window as unknown as { __watch: Watch }).__watch.sameDocument = true));
  const jobs = page.getByRole("navigation", { name: "Jobs" });
  // Test, lint, build, and the job that deploys the build to development.
  await expect(jobs.locator("[data-job]")).toHaveCount(4);

  // Open the build job's log while it still waits for test and lint: its lines then stream in as it runs.
  await jobs.getByRole("button", { name: /^Build:/ }).click();
  await expect(page).toHaveURL(/\?job=build$/);
  await expect(page.getByRole("heading", { level: 3, name: "Build" })).toBeVisible();
  const log = page.getByTestId("log-lines");
  await expect(log).toContainText("built dist/", { timeout: 90_000 });
  // The log starts at its first line, and the engine's step headers show as sections.
  await expect(log.locator('[data-line="1"]')).toBeVisible();
  await expect(log).toContainText("Step 2");
  await expect(page.getByTestId("log-state")).toContainText("job succeeded");

  // The run ends succeeded, its jobs having changed before our eyes, all on one page load.
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded", { timeout: 30_000 });
  const watched = await readWatch(page);
  expect(watched.sameDocument).toBe(true);
  const shown = (key: string) => `statuses shown for ${key}: ${watched.jobStatuses[key]?.join(" → ")}`;
  for (const key of ["test", "lint", "build"]) expect(watched.jobStatuses[key]?.at(-1), shown(key)).toBe("succeeded");
  // Test and lint start with the run and may be done before the page has loaded; build waits for both, so it is seen unfinished.
  expect(watched.jobStatuses.build.some((s) => ["pending", "queued", "running"].includes(s)), shown("build")).toBe(true);
  expect(Object.values(watched.jobStatuses).flat(), "some job was shown running").toContain("running");

  // The raw log and the build's artifact download for the signed-in person.
  const rawHref = await page.getByRole("link", { name: "Download raw" }).getAttribute("href");
  const raw = await page.request.get(rawHref!);
  expect(raw.status()).toBe(200);
  expect(await raw.text()).toContain("built dist/");
  const artifact = page.getByRole("link", { name: "app.tar.gz" });
  await expect(artifact).toBeVisible();
  const archive = await page.request.get((await artifact.getAttribute("href"))!);
  expect(archive.status()).toBe(200);
  expect(archive.headers()["content-type"]).toBe("application/gzip");

  // Back on the list, the run shows as succeeded.
  await page.getByRole("link", { name: "← All runs" }).click();
  const number = (await readRunNumber(page)) ?? "";
  await expect(page.locator(`tr[data-run="${number}"] [data-status]`)).toHaveAttribute("data-status", "succeeded");
});

/** The newest run's number in the list. */
async function readRunNumber(page: Page): Promise<string | null> {
  const first = page.locator("tr[data-run]").first();
  await expect(first).toBeVisible();
  return first.getAttribute("data-run");
}
