import { expect, test } from "@playwright/test";
import { adminApi, createProject, createRepository, pushDelivery, trpc, TrpcError } from "./support/approval-project";
import { signInWithSso } from "./support/journey";
import { baseURL, e2e } from "./support/settings";

/**
 * Separation of duties as the commit author meets it: Arlo, a maintainer who approves
 * production deployments, pushes a change; in the inbox his own change is shown apart with
 * why he may not approve it, the server refuses his approval with the same reason, and the
 * request keeps waiting for another approver.
 */

const PIPELINE = `name: ledger
on:
  push:
    branches: [main]

jobs:
  build:
    name: Build
    steps:
      - uses: checkout
      - run: sh scripts/test.sh
      - run: sh scripts/build.sh
      - uses: upload-artifact
        with:
          name: app
          path: dist

  production:
    name: Deploy to production
    needs: [build]
    environment: production
    deploy:
      artifact: app
      strategy: canary
`;

const REASON = "You authored a commit in this change set, so separation of duties does not let you approve it.";
const arlo = { login: "arlo", ...e2e.ssoPeople.arlo };
const founder = { name: "Fay Founder", email: "fay.founder@e2e.test" };

test("the commit author cannot approve their own change: the inbox and the server say why, and the request stays pending", async ({ browser }) => {
  test.setTimeout(180_000);
  const admin = await adminApi(browser);
  const repo = createRepository(PIPELINE, founder);
  const author = await browser.newContext({ baseURL });
  try {
    const page = await author.newPage();
    await signInWithSso(page, arlo.login);

    const project = await createProject(admin.request, {
      name: "Ledger",
      repositoryUrl: repo.dir,
      targets: { production: { port: e2e.targetPorts[2], strategy: { strategy: "canary", replicas: 1, steps: [{ setWeight: 50 }, { pause: {} }] } } },
    });
    await trpc(admin.request, "members.add", { projectId: project.id, email: arlo.email, role: "maintainer" });
    await trpc(admin.request, "governance.setRules", {
      projectId: project.id,
      environmentId: project.environment("production").id,
      rules: { stages: [{ name: "Maintainer", count: 1, approvers: { roles: ["maintainer"] } }] },
    });

    const base = repo.commit({ "ledger.txt": "opening balance\n" }, "Open the ledger", founder);
    const head = repo.commit({ "ledger.txt": "opening balance\nround half to even\n" }, "Round half to even", arlo);
    const runNumber = await pushDelivery(admin.request, project, { before: base, after: head, repositoryUrl: repo.dir, pusher: "arlo" });
    const version = `1.0.${runNumber}`;

    // Arlo's own change reaches production's approval; nothing waits for him.
    await page.goto(`/projects/${project.slug}/deployments`);
    const production = page.locator('[data-environment="production"]');
    await expect(production.getByTestId("environment-status")).toContainText("Waiting for approval", { timeout: 120_000 });
    await page.getByRole("link", { name: /^Approvals/ }).click();
    await expect(page).toHaveURL("/approvals");
    await expect(page.getByTestId("inbox-total")).toHaveText("Nothing waits for you");

    // His change is shown apart, with why he may not approve it; the buttons say the same.
    const waiting = page.getByRole("region", { name: "Waiting for someone else" });
    const item = waiting.getByRole("article", { name: `Ledger · production · ${version}` });
    await expect(item.getByRole("note")).toHaveText(REASON);
    await expect(item.getByRole("region", { name: "Changes" })).toContainText(`${head.slice(0, 7)} Round half to even · ${arlo.name}`);
    const approve = item.getByRole("button", { name: "Approve" });
    await expect(approve).toBeDisabled();
    await expect(approve).toHaveAccessibleDescription(REASON);

    // Asking the server directly, as Arlo, is refused with the same reason.
    const [request] = await trpc<{ id: string }[]>(page.request, "approvals.list", { projectId: project.id }, "query");
    const refusal = await trpc(page.request, "approvals.approve", { projectId: project.id, requestId: request.id, comment: "Looks fine to me" }).catch((error: TrpcError) => error);
    expect(refusal).toBeInstanceOf(TrpcError);
    expect(refusal).toMatchObject({ status: 403, message: REASON });

    // The request still waits, with no approval recorded, and says so after a reload.
    await page.reload();
    const still = page.getByRole("region", { name: "Waiting for someone else" }).getByRole("article", { name: `Ledger · production · ${version}` });
    await expect(still.getByText(/^expires in /)).toBeVisible();
    await expect(still.getByRole("region", { name: "Approval stages" })).toContainText("Maintainer (0 of 1)");
    await page.goto(`/projects/${project.slug}/deployments`);
    await expect(production.getByTestId("environment-status")).toContainText("Waiting for approval");

    // The run is cancelled, so its waiting deployment leaves nothing behind for the next journeys.
    const run = await trpc<{ id: string }[]>(admin.request, "runs.list", { projectId: project.id }, "query");
    await trpc(admin.request, "runs.cancel", { projectId: project.id, runId: run[0].id });
  } finally {
    await author.close();
    await admin.close();
    repo.remove();
  }
});
