import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineRevisions, projectPipelineSettings, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser, rejectionOf } from "@/server/testing/fixtures";
import { cleanupAllTestRepos, createTempDir, createTestRepo } from "@/server/testing/git-fixtures";
import { secretsKeyFrom } from "./crypto";
import { InvalidInputError } from "./errors";
import { checkoutCredentials, PipelineNotFoundError, resolvePipeline } from "./pipeline-source";
import { setSecret } from "./secrets";

let t: TestDatabase;
let owner: User;
let dataDir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  dataDir = await createTempDir();
});

afterAll(async () => {
  await t.close();
  await cleanupAllTestRepos();
});

describe("resolvePipeline", () => {
  it("reads .slipway.yml at the run's commit, not at the branch head, by default", async () => {
    const repo = await createTestRepo();
    const old = await repo.commit({ ".slipway.yml": "# version 1\n" }, "One");
    await repo.commit({ ".slipway.yml": "# version 2\n" }, "Two");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    expect(await resolvePipeline(t.db, { project, sha: old, dataDir })).toEqual({ yaml: "# version 1\n", revisionId: null, source: "repository" });
  });

  it("says how to fix a commit without .slipway.yml", async () => {
    const repo = await createTestRepo();
    const sha = await repo.commit({ "README.md": "x\n" }, "No pipeline");
    const project = await createProjectAs(t.db, owner, { repositoryUrl: repo.dir });
    const error = await rejectionOf(resolvePipeline(t.db, { project, sha, dataDir }));
    expect(error).toBeInstanceOf(PipelineNotFoundError);
    expect((error as Error).message).toBe(`No .slipway.yml at commit ${sha.slice(0, 7)} in ${repo.dir}: add one, or edit the pipeline in Slipway.`);
  });

  it("uses the latest revision when the project keeps its pipeline in Slipway", async () => {
    const project = await createProjectAs(t.db, owner);
    await t.db.insert(projectPipelineSettings).values({ projectId: project.id, source: "slipway" });
    const error = await rejectionOf(resolvePipeline(t.db, { project, sha: "a".repeat(40), dataDir }));
    expect((error as Error).message).toMatch(/keeps its pipeline in Slipway, but none was saved yet/);
    await t.db.insert(pipelineRevisions).values([
      { projectId: project.id, number: 2, yaml: "# two\n" },
      { projectId: project.id, number: 1, yaml: "# one\n" },
    ]);
    const [two] = await t.db.select().from(pipelineRevisions).where(eq(pipelineRevisions.number, 2));
    expect(await resolvePipeline(t.db, { project, sha: "a".repeat(40), dataDir })).toEqual({ yaml: "# two\n", revisionId: two.id, source: "slipway" });
  });
});

describe("checkoutCredentials", () => {
  const key = secretsKeyFrom(randomBytes(32));

  it("is none without a checkout secret, a token or an ssh key with one", async () => {
    const project = await createProjectAs(t.db, owner);
    expect(await checkoutCredentials(t.db, project, key)).toBeNull();
    await t.db.insert(projectPipelineSettings).values({ projectId: project.id, checkoutSecret: "GIT_TOKEN" });
    await setSecret(t.db, key, actorFor(owner), { projectId: project.id, name: "GIT_TOKEN", value: "ghp_example\n" });
    expect(await checkoutCredentials(t.db, project, key)).toEqual({ kind: "https-token", token: "ghp_example" });
    const pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    await setSecret(t.db, key, actorFor(owner), { projectId: project.id, name: "GIT_TOKEN", value: pem });
    expect(await checkoutCredentials(t.db, project, key)).toEqual({ kind: "ssh-key", privateKey: pem });
  });

  it("names the missing secret", async () => {
    const project = await createProjectAs(t.db, owner);
    await t.db.insert(projectPipelineSettings).values({ projectId: project.id, checkoutSecret: "DEPLOY_KEY" });
    const error = await rejectionOf(checkoutCredentials(t.db, project, key));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/"DEPLOY_KEY" does not exist/);
  });
});
