import { randomBytes } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, environments, jobs, runs, secrets, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { actorFor, createProjectAs, createUser, rejectionOf } from "@/server/testing/fixtures";
import { systemActor } from "./actor";
import { DecryptionError, secretsKeyFrom } from "./crypto";
import { InvalidInputError, NotFoundError } from "./errors";
import { deleteSecret, listSecrets, loadSecretsForJob, setSecret } from "./secrets";

let t: TestDatabase;
let maintainer: User;
const key = secretsKeyFrom(randomBytes(32));

beforeAll(async () => {
  t = await createTestDatabase();
  maintainer = await createUser(t.db, { name: "Mia Maintainer" });
});

afterAll(async () => {
  await t.close();
});

const actor = () => actorFor(maintainer);

async function projectWithEnvs() {
  const project = await createProjectAs(t.db, maintainer);
  const envs = await t.db.select().from(environments).where(eq(environments.projectId, project.id));
  const env = (name: string) => envs.find((e) => e.name === name)!.id;
  return { project, production: env("production"), staging: env("staging") };
}

async function jobIn(project: Project, { secretsAllowed = true } = {}) {
  const [run] = await t.db
    .insert(runs)
    .values({ projectId: project.id, number: 1, trigger: "manual", event: { sha: "a".repeat(40) }, commitSha: "a".repeat(40), pipelineYaml: "jobs: {}", plan: {}, secretsAllowed })
    .returning();
  const [job] = await t.db.insert(jobs).values({ runId: run.id, key: "deploy", jobId: "deploy", name: "deploy" }).returning();
  return { runId: run.id, jobId: job.id };
}

async function lastAudit(projectId: string) {
  const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.projectId, projectId)).orderBy(desc(auditEvents.seq)).limit(1);
  return event;
}

describe("saving secrets", () => {
  it("stores only ciphertext: the plaintext appears nowhere in the row", async () => {
    const { project } = await projectWithEnvs();
    const value = "correct-horse-battery-staple";
    await setSecret(t.db, key, actor(), { projectId: project.id, name: "db_password", value });
    const [row] = await t.db.select().from(secrets).where(eq(secrets.projectId, project.id));
    expect(row.name).toBe("DB_PASSWORD");
    expect(JSON.stringify(row)).not.toContain(value);
    expect(Buffer.from(row.encrypted, "base64").toString("latin1")).not.toContain(value);
    expect(Buffer.from(row.encrypted, "base64").toString("utf8")).not.toContain(value);
  });

  it("replaces the value of an existing name in the same scope, and audits the name but never the value", async () => {
    const { project, production } = await projectWithEnvs();
    await setSecret(t.db, key, actor(), { projectId: project.id, name: "API_TOKEN", value: "first-value" });
    const saved = await setSecret(t.db, key, actor(), { projectId: project.id, name: "API_TOKEN", value: "second-value" });
    await setSecret(t.db, key, actor(), { projectId: project.id, environmentId: production, name: "API_TOKEN", value: "prod-value" });
    expect(saved).toMatchObject({ name: "API_TOKEN", scope: "project", environmentId: null, updatedBy: { id: maintainer.id } });
    expect(saved).not.toHaveProperty("value");
    expect(await t.db.select().from(secrets).where(eq(secrets.projectId, project.id))).toHaveLength(2);
    const events = await t.db.select().from(auditEvents).where(and(eq(auditEvents.projectId, project.id), eq(auditEvents.action, "secret.set")));
    expect(events.map((e) => e.after)).toEqual([
      { name: "API_TOKEN", scope: "project", environment: null, replaced: false },
      { name: "API_TOKEN", scope: "project", environment: null, replaced: true },
      { name: "API_TOKEN", scope: "environment", environment: "production", replaced: false },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/first-value|second-value|prod-value/);
  });

  it.each([
    ["1ST", "Secret names use letters, digits and underscores, and do not start with a digit."],
    ["MY-KEY", "Secret names use letters, digits and underscores, and do not start with a digit."],
    ["slipway_token", "Secret names may not start with SLIPWAY_ or GITHUB_: those are set by Slipway itself."],
    ["GITHUB_TOKEN", "Secret names may not start with SLIPWAY_ or GITHUB_: those are set by Slipway itself."],
  ])("refuses the name %s on the name field", async (name, message) => {
    const { project } = await projectWithEnvs();
    const error = await rejectionOf(setSecret(t.db, key, actor(), { projectId: project.id, name, value: "v" }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: "name", message });
  });

  it("refuses values over 64 KiB and empty values", async () => {
    const { project } = await projectWithEnvs();
    await setSecret(t.db, key, actor(), { projectId: project.id, name: "BIG", value: "x".repeat(64 * 1024) });
    const error = await rejectionOf(setSecret(t.db, key, actor(), { projectId: project.id, name: "BIG", value: "x".repeat(64 * 1024 + 1) }));
    expect(error).toMatchObject({ field: "value", message: "A secret's value is at most 64 KiB." });
    expect(await rejectionOf(setSecret(t.db, key, actor(), { projectId: project.id, name: "EMPTY", value: "" }))).toMatchObject({ field: "value" });
  });

  it("refuses an environment of another project", async () => {
    const { project } = await projectWithEnvs();
    const other = await projectWithEnvs();
    const error = await rejectionOf(setSecret(t.db, key, actor(), { projectId: project.id, environmentId: other.production, name: "X_KEY", value: "v" }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ field: "environmentId" });
  });
});

describe("listing secrets", () => {
  it("returns names, scopes and who changed them, never values", async () => {
    const { project, staging } = await projectWithEnvs();
    await setSecret(t.db, key, actor(), { projectId: project.id, name: "TOKEN", value: "project-token-value" });
    await setSecret(t.db, key, actor(), { projectId: project.id, environmentId: staging, name: "TOKEN", value: "staging-token-value" });
    const list = await listSecrets(t.db, project.id);
    expect(list.map((s) => [s.name, s.scope, s.environmentName])).toEqual([
      ["TOKEN", "project", null],
      ["TOKEN", "environment", "staging"],
    ]);
    expect(list[0].updatedBy).toEqual({ id: maintainer.id, name: maintainer.name, email: maintainer.email });
    expect(JSON.stringify(list)).not.toMatch(/token-value|encrypted/);
  });
});

describe("deleting secrets", () => {
  it("deletes by name and scope, audited, and says when there is nothing to delete", async () => {
    const { project, production } = await projectWithEnvs();
    await setSecret(t.db, key, actor(), { projectId: project.id, environmentId: production, name: "DEPLOY_KEY", value: "k" });
    const missing = await rejectionOf(deleteSecret(t.db, actor(), { projectId: project.id, name: "DEPLOY_KEY" }));
    expect(missing).toMatchObject({ message: 'There is no secret "DEPLOY_KEY" in this project; it may have been deleted already.' });
    await deleteSecret(t.db, actor(), { projectId: project.id, environmentId: production, name: "deploy_key" });
    expect(await listSecrets(t.db, project.id)).toEqual([]);
    expect(await lastAudit(project.id)).toMatchObject({ action: "secret.delete", before: { name: "DEPLOY_KEY", scope: "environment", environment: "production" } });
  });
});

describe("loading secrets for a job", () => {
  it("gives environment values over project ones, and audits one read per job with the names", async () => {
    const { project, production } = await projectWithEnvs();
    const job = await jobIn(project);
    await setSecret(t.db, key, actor(), { projectId: project.id, name: "DB_URL", value: "postgres://project" });
    await setSecret(t.db, key, actor(), { projectId: project.id, name: "NPM_TOKEN", value: "npm-123" });
    await setSecret(t.db, key, actor(), { projectId: project.id, environmentId: production, name: "DB_URL", value: "postgres://production" });
    const values = await loadSecretsForJob(t.db, key, systemActor, { projectId: project.id, environmentId: production, ...job });
    expect(values).toEqual({ DB_URL: "postgres://production", NPM_TOKEN: "npm-123" });
    expect(await loadSecretsForJob(t.db, key, systemActor, { projectId: project.id, ...job })).toEqual({ DB_URL: "postgres://project", NPM_TOKEN: "npm-123" });
    const reads = await t.db.select().from(auditEvents).where(and(eq(auditEvents.projectId, project.id), eq(auditEvents.action, "secret.read")));
    expect(reads).toHaveLength(2);
    expect(reads[0]).toMatchObject({ objectType: "job", objectId: job.jobId, actorLabel: "slipway", after: { ...job, environmentId: production, names: ["DB_URL", "NPM_TOKEN"] } });
    expect(JSON.stringify(reads)).not.toMatch(/postgres:|npm-123/);
  });

  it("hands nothing to runs that may not see secrets (pull requests from forks)", async () => {
    const { project } = await projectWithEnvs();
    await setSecret(t.db, key, actor(), { projectId: project.id, name: "NPM_TOKEN", value: "npm-123" });
    const job = await jobIn(project, { secretsAllowed: false });
    expect(await loadSecretsForJob(t.db, key, systemActor, { projectId: project.id, ...job })).toEqual({});
    expect(await lastAudit(project.id)).toMatchObject({ action: "secret.set" });
  });

  it("refuses a job of another project", async () => {
    const { project } = await projectWithEnvs();
    const other = await projectWithEnvs();
    const job = await jobIn(other.project);
    expect(await rejectionOf(loadSecretsForJob(t.db, key, systemActor, { projectId: project.id, ...job }))).toBeInstanceOf(NotFoundError);
  });

  it("fails with a clear error naming the secret when its ciphertext was tampered with or moved", async () => {
    const { project, production, staging } = await projectWithEnvs();
    const job = await jobIn(project);
    await setSecret(t.db, key, actor(), { projectId: project.id, environmentId: production, name: "PROD_ONLY", value: "prod-secret" });
    const [row] = await t.db.select().from(secrets).where(eq(secrets.projectId, project.id));
    const raw = Buffer.from(row.encrypted, "base64");
    raw[raw.length - 1] ^= 0xff;
    await t.db.update(secrets).set({ encrypted: raw.toString("base64") }).where(eq(secrets.id, row.id));
    const error = await rejectionOf(loadSecretsForJob(t.db, key, systemActor, { projectId: project.id, environmentId: production, ...job }));
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as Error).message).toBe(
      'The secret "PROD_ONLY" could not be decrypted: it was altered in the database, or saved with a different SLIPWAY_SECRET_KEY. Save its value again.',
    );
    // A production ciphertext copied onto a staging row does not decrypt there either.
    await setSecret(t.db, key, actor(), { projectId: project.id, environmentId: production, name: "PROD_ONLY", value: "prod-secret" });
    const [good] = await t.db.select().from(secrets).where(eq(secrets.projectId, project.id));
    await t.db.insert(secrets).values({ projectId: project.id, environmentId: staging, name: "PROD_ONLY", encrypted: good.encrypted });
    expect(await rejectionOf(loadSecretsForJob(t.db, key, systemActor, { projectId: project.id, environmentId: staging, ...job }))).toBeInstanceOf(DecryptionError);
  });
});
