import { expect, test } from "@playwright/test";
import { adminApi, createProject, createRepository, pushDelivery, trpc } from "./support/approval-project";
import { baseURL, e2e } from "./support/settings";
import { markDocument, sameDocument, signInWithSso } from "./support/journey";

/**
 * The release manager's day: a developer's push (a signed GitHub delivery) runs the pipeline up
 * to production, where a release manager's approval is required. The release manager signs in
 * with SSO, reads the change and its test results in the inbox and approves; the canary starts,
 * and the developer's board shows it without a reload.
 */

const PIPELINE = `name: shop
on:
  push:
    branches: [main]

jobs:
  test:
    name: Test
    steps:
      - uses: checkout
      - run: sh scripts/test.sh

  build:
    name: Build
    needs: [test]
    steps:
      - uses: checkout
      - run: sh scripts/build.sh
      - uses: upload-artifact
        with:
          name: app
          path: dist

  development:
    name: Deploy to development
    needs: [build]
    environment: development
    deploy:
      artifact: app
      strategy: rolling

  production:
    name: Deploy to production
    needs: [build, development]
    environment: production
    deploy:
      artifact: app
      strategy: canary
`;

const founder = { name: "Fay Founder", email: "fay.founder@e2e.test" };
const dana = { login: "dana", ...e2e.ssoPeople.dana };


test("a pushed change waits for the release manager's approval in the inbox; approved, the canary starts and the developer sees it live", async ({ browser }) => {
  // A pipeline of four jobs and two deployments on a busy machine.
  test.setTimeout(240_000);
  const admin = await adminApi(browser);
  const repo = createRepository(PIPELINE, founder);
  const developer = await browser.newContext({ baseURL });
  const manager = await browser.newContext({ baseURL });
  try {
    // Production already runs the first release: it went out before production was protected.
    const project = await createProject(admin.request, {
      name: "Shop",
      repositoryUrl: repo.dir,
      targets: {
        development: { port: e2e.targetPorts[0], strategy: { strategy: "rolling", replicas: 1 } },
        production: { port: e2e.targetPorts[1], strategy: { strategy: "canary", replicas: 2, steps: [{ setWeight: 50 }, { pause: {} }] } },
      },
    });
    const start = repo.head();
    const base = repo.commit({ "prices.txt": "10\n" }, "List the prices", founder);
    const firstRun = await pushDelivery(admin.request, project, { before: start, after: base, repositoryUrl: repo.dir, pusher: "fay" });
    const v1 = `1.0.${firstRun}`;

    // Meanwhile both sign in once with SSO, so the admin can make them members.
    const devPage = await developer.newPage();
    await signInWithSso(devPage, dana.login);
    const rmPage = await manager.newPage();
    await signInWithSso(rmPage, e2e.sso.login);
    await trpc(admin.request, "members.add", { projectId: project.id, email: dana.email, role: "developer" });
    const rita = await trpc<{ userId: string }>(admin.request, "members.add", { projectId: project.id, email: e2e.sso.email, role: "maintainer" });
    await trpc(admin.request, "governance.setGroup", { projectId: project.id, name: "release-managers", userIds: [rita.userId] });
    await expect
      .poll(async () => (await trpc<{ number: number; status: string }[]>(admin.request, "runs.list", { projectId: project.id }, "query")).find((r) => r.number === firstRun)?.status, {
        timeout: 150_000,
      })
      .toBe("succeeded");
    await trpc(admin.request, "governance.setRules", {
      projectId: project.id,
      environmentId: project.environment("production").id,
      rules: { stages: [{ name: "Release manager", count: 1, approvers: { groups: ["release-managers"] } }], requiredChecks: ["test"], approvalExpiryHours: 4 },
    });

    // Dana commits and pushes; GitHub delivers the push.
    const head = repo.commit({ "prices.txt": "10.00\n" }, "Show prices with two decimals", dana);
    const runNumber = await pushDelivery(admin.request, project, { before: base, after: head, repositoryUrl: repo.dir, pusher: "dana" });
    const version = `1.0.${runNumber}`;

    // Dana follows the run: it deploys to development and stops at production's approval.
    await devPage.goto(`/projects/${project.slug}/runs/${runNumber}`);
    await expect(devPage.getByRole("navigation", { name: "Jobs" }).getByRole("button", { name: /^Deploy to production:/ })).toBeVisible({ timeout: 30_000 });
    await devPage.goto(`/projects/${project.slug}/deployments`);
    const production = devPage.locator('[data-environment="production"]');
    await expect(devPage.locator('[data-environment="development"]').getByTestId("current-version")).toHaveText(version, { timeout: 150_000 });
    await expect(production.getByTestId("environment-phase")).toHaveAttribute("data-phase", "queued", { timeout: 30_000 });
    await expect(production.getByTestId("environment-status")).toContainText("Waiting for approval");
    await markDocument(devPage);

    // Rita's navigation counts it live; the inbox shows what she needs to decide.
    const rmNav = rmPage.getByRole("link", { name: /^Approvals/ });
    await expect(rmNav).toHaveAccessibleName("Approvals (1 waiting)", { timeout: 30_000 });
    await rmNav.click();
    await expect(rmPage).toHaveURL("/approvals");
    const item = rmPage.getByRole("article", { name: `Shop · production · ${version}` });
    await expect(item).toBeVisible();
    await expect(item).toContainText("asked by");
    const changes = item.getByRole("region", { name: "Changes" });
    // Only Dana's commit: the first release already runs in production.
    await expect(changes).toContainText(`${v1} (${base.slice(0, 7)}) → ${version} (${head.slice(0, 7)})`);
    await expect(changes.getByTestId("approval-commits").getByRole("listitem")).toHaveText([`${head.slice(0, 7)} Show prices with two decimals · ${dana.name}`]);
    await expect(changes).toContainText(`Authors: ${dana.email}`);
    await changes.getByText(/files? changed/).click();
    await expect(changes).toContainText("prices.txt");
    const checks = item.getByRole("region", { name: "Tests and checks" });
    await expect(checks).toContainText(`Run #${runNumber} (main)`);
    await expect(checks.getByRole("listitem").filter({ hasText: "Test" }).first()).toHaveText(/^succeeded Test \(required\)$/);
    await expect(checks.getByRole("listitem").filter({ hasText: "Build" })).toHaveText(/^succeeded Build$/);
    const stages = item.getByRole("region", { name: "Approval stages" });
    await expect(stages).toContainText("Release manager (0 of 1)");
    await expect(item).toContainText(/expires in (3 h 5\d|4 h 0) min/);

    // She approves with a comment.
    await item.getByLabel("Comment").fill("Prices look right; ship it.");
    await item.getByRole("button", { name: "Approve" }).click();
    await expect(rmPage.getByRole("status")).toContainText(`Approved ${version} for production (Shop): the request is approved.`);
    await expect(item).toBeHidden();
    await expect(rmNav).toHaveAccessibleName("Approvals");

    // The canary starts; Dana's open board follows it to its pause for a person, without a reload.
    await expect(production.getByRole("link", { name: `Deploying ${version}` })).toBeVisible({ timeout: 30_000 });
    await expect(production.getByTestId("active-phase")).toHaveAttribute("data-phase", "paused", { timeout: 60_000 });
    await expect(production.getByTestId("environment-status")).toContainText("Paused until a person resumes");
    await expect(production.getByTestId("current-version")).toHaveText(v1);
    expect(await sameDocument(devPage)).toBe(true);

    // Half the traffic goes to the canary, and the deployment says who approved it.
    await production.getByRole("link", { name: `Deploying ${version}` }).click();
    const traffic = devPage.getByTestId("traffic-bar");
    await expect(traffic).toHaveAttribute("aria-label", new RegExp(`${v1.replaceAll(".", "\\.")} 50%`));
    await expect(traffic).toHaveAttribute("aria-label", new RegExp(`${version.replaceAll(".", "\\.")} 50%`));
    await expect(devPage.getByTestId("deployment-history")).toContainText(`Cleared: approved by ${e2e.sso.email}`);

    // The canary is finished through the API, so nothing of this journey keeps running.
    const deploymentId = devPage.url().split("/").at(-1)!;
    await trpc(admin.request, "deployments.promoteNow", { projectId: project.id, deploymentId });
  } finally {
    await Promise.all([developer.close(), manager.close()]);
    await admin.close();
    repo.remove();
  }
});
