import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, addMemberDirect, createProjectAs, createUser } from "@/server/testing/fixtures";
import { seedReleases } from "@/workers/deployer/testing/seed";
import { decideApproval } from "./approvals";
import { requestDeployment } from "./deployments";
import { EMAIL_QUEUE } from "./email";
import { setApproverGroup, setProtectionRules } from "./governance-rules";

/** Approval requests are emailed to the people who may decide them now, stage by stage. */
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  vi.stubEnv("SLIPWAY_SMTP_URL", "smtp://127.0.0.1:2525");
  vi.stubEnv("SLIPWAY_SMTP_FROM", "slipway@example.test");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
});

const emailedTo = async () => (await t.db.execute<{ to: string }>(sql`select data->>'to' as to from pgboss.job where name = ${EMAIL_QUEUE}`)).map((r) => r.to).sort();
const clearEmails = () => t.db.execute(sql`delete from pgboss.job where name = ${EMAIL_QUEUE}`);

describe("approval email", () => {
  it("goes to the eligible approvers of the current stage: named people, group members, role holders and site admins, never the requester", async () => {
    const siteAdmin = await createUser(t.db, { isAdmin: true });
    const owner = await createUser(t.db);
    const project = await createProjectAs(t.db, owner);
    const [qa, named, maintainer, developer, outsider] = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(t.db)));
    await addMemberDirect(t.db, project.id, qa.id, "developer");
    await addMemberDirect(t.db, project.id, named.id, "viewer");
    await addMemberDirect(t.db, project.id, maintainer.id, "maintainer");
    await addMemberDirect(t.db, project.id, developer.id, "developer");
    await setApproverGroup(t.db, actorFor(owner), { projectId: project.id, name: "qa", userIds: [qa.id] });
    const envs = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id), orderBy: (e, { asc }) => asc(e.position) });
    const production = envs[2];
    const [release] = await seedReleases(t.db, actorFor(owner), project.id, [production.id], ["2.0.0"]);
    await setProtectionRules(t.db, actorFor(owner), {
      projectId: project.id,
      environmentId: production.id,
      rules: {
        stages: [
          { name: "QA", count: 1, approvers: { groups: ["qa"], users: [named.id] } },
          { name: "Release manager", count: 1, approvers: { roles: ["maintainer"] } },
        ],
      },
    });
    await clearEmails();

    // The owner (a project admin) asks: separation of duties keeps them off every list.
    await requestDeployment(t.db, actorFor(owner), { projectId: project.id, environmentId: production.id, releaseId: release.id });
    expect(await emailedTo()).toEqual([qa.email, named.email].sort());

    await clearEmails();
    const [request] = await t.db.query.approvalRequests.findMany({ where: (r, { eq }) => eq(r.projectId, project.id) });
    await decideApproval(t.db, qa, actorFor(qa), { projectId: project.id, requestId: request.id, decision: "approved" });
    expect(await emailedTo()).toEqual([maintainer.email, siteAdmin.email].sort());
    expect(await emailedTo()).not.toContain(developer.email);
    expect(await emailedTo()).not.toContain(outsider.email);
  });
});
