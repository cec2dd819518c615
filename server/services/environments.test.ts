import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import {
  actorFor,
  auditCount,
  callerFor,
  createProjectAs,
  createUser,
  databaseFingerprint,
  fieldErrorsOf,
  rejectionOf,
  trpcErrorOf,
} from "@/server/testing/fixtures";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import {
  createEnvironment,
  deleteEnvironment,
  describeEnvironmentDeletion,
  listEnvironments,
  reorderEnvironments,
  updateEnvironment,
} from "./environments";

let t: TestDatabase;
let maintainer: User;

beforeAll(async () => {
  t = await createTestDatabase();
  maintainer = await createUser(t.db, { name: "Mia Maintainer" });
});

afterAll(async () => {
  await t.close();
});

const actor = () => actorFor(maintainer);

async function order(project: Project) {
  return (await listEnvironments(t.db, project.id)).map((e) => [e.name, e.position]);
}

async function projectWith(...extra: string[]) {
  const project = await createProjectAs(t.db, maintainer);
  for (const name of extra) await createEnvironment(t.db, actor(), { projectId: project.id, name, description: "" });
  const envs = await listEnvironments(t.db, project.id);
  const id = (name: string) => envs.find((e) => e.name === name)!.id;
  return { project, envs, id };
}

describe("creating environments", () => {
  it("adds a new environment after the existing ones", async () => {
    const { project } = await projectWith();
    const qa = await createEnvironment(t.db, actor(), { projectId: project.id, name: "qa", description: "Testers' copy" });
    expect(qa).toMatchObject({ name: "qa", description: "Testers' copy", position: 3, variables: {} });
    expect(await order(project)).toEqual([
      ["development", 0],
      ["staging", 1],
      ["production", 2],
      ["qa", 3],
    ]);
  });

  it("refuses a name the project already uses, on the name field", async () => {
    const { project } = await projectWith();
    const before = await databaseFingerprint(t.db);
    const error = await rejectionOf(createEnvironment(t.db, actor(), { projectId: project.id, name: "staging", description: "" }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ field: "name", message: 'This project already has an environment named "staging".' });
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("rejects a name with characters outside letters, digits, spaces, dots, dashes and underscores", async () => {
    const { project } = await projectWith();
    const input = { projectId: project.id, name: "prod/eu", description: "" };
    const error = await trpcErrorOf(callerFor(t.db, maintainer).environments.create(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(fieldErrorsOf(error, "environments.create", input)).toEqual({
      name: ["Environment name may use letters, digits, spaces, dots, dashes and underscores."],
    });
  });
});

describe("editing environments", () => {
  it("saves variables and records which changed", async () => {
    const { project, id } = await projectWith();
    const env = await updateEnvironment(t.db, actor(), {
      projectId: project.id,
      environmentId: id("staging"),
      variables: { API_URL: "https://staging.example.test", _FLAG: "1" },
    });
    expect(env.variables).toEqual({ API_URL: "https://staging.example.test", _FLAG: "1" });
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.objectId, env.id), eq(auditEvents.action, "environment.update")));
    expect(event).toMatchObject({ before: { variables: {} }, after: { variables: { API_URL: "https://staging.example.test", _FLAG: "1" } } });
  });

  it.each([
    ["starts with a digit", "1API_URL"],
    ["has a dash", "API-URL"],
    ["has a space", "API URL"],
  ])("rejects a variable name that %s, naming it on the variables field", async (_label, name) => {
    const { project, id } = await projectWith();
    const before = await databaseFingerprint(t.db);
    const input = { projectId: project.id, environmentId: id("production"), variables: { GOOD: "1", [name]: "x" } };
    const error = await trpcErrorOf(callerFor(t.db, maintainer).environments.update(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(fieldErrorsOf(error, "environments.update", input)).toEqual({
      variables: [`"${name}" is not a valid variable name. Variable names use letters, digits and underscores, and do not start with a digit.`],
    });
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("rejects a variable value over 10,000 characters", async () => {
    const { project, id } = await projectWith();
    const input = { projectId: project.id, environmentId: id("production"), variables: { BIG: "x".repeat(10_001) } };
    const error = await trpcErrorOf(callerFor(t.db, maintainer).environments.update(input));
    expect(fieldErrorsOf(error, "environments.update", input)).toEqual({ variables: ["A variable's value is at most 10,000 characters."] });
  });

  it("refuses to rename onto another environment's name but allows keeping its own", async () => {
    const { project, id } = await projectWith();
    await expect(updateEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("staging"), name: "production" })).rejects.toThrow(
      ConflictError,
    );
    await expect(
      updateEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("staging"), name: "staging", description: "pre-prod" }),
    ).resolves.toMatchObject({ name: "staging", description: "pre-prod" });
  });

  it("accepts a save with no changes and records nothing", async () => {
    const { project, id } = await projectWith();
    const events = await auditCount(t.db);
    await expect(callerFor(t.db, maintainer).environments.update({ projectId: project.id, environmentId: id("staging") })).resolves.toMatchObject({
      name: "staging",
    });
    expect(await auditCount(t.db)).toBe(events);
  });
});

describe("reordering environments", () => {
  it("saves the new promotion order and records the old and new order", async () => {
    const { project, id } = await projectWith();
    const envs = await reorderEnvironments(t.db, actor(), {
      projectId: project.id,
      environmentIds: [id("staging"), id("development"), id("production")],
    });
    expect(envs.map((e) => [e.name, e.position])).toEqual([
      ["staging", 0],
      ["development", 1],
      ["production", 2],
    ]);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, project.id), eq(auditEvents.action, "environment.reorder")));
    expect(event).toMatchObject({
      before: { order: ["development", "staging", "production"] },
      after: { order: ["staging", "development", "production"] },
    });
  });

  it.each([
    ["misses an environment", (id: (n: string) => string) => [id("production"), id("development")]],
    ["names one twice", (id: (n: string) => string) => [id("production"), id("development"), id("development")]],
    ["names another project's environment", (id: (n: string) => string, foreign: string) => [id("production"), id("development"), foreign]],
  ])("refuses a list that %s and keeps the order", async (_label, build) => {
    const { project, id } = await projectWith();
    const other = await projectWith();
    const before = await order(project);
    const error = await rejectionOf(
      reorderEnvironments(t.db, actor(), { projectId: project.id, environmentIds: build(id, other.id("staging")) }),
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      field: "environmentIds",
      message: "The new order must list every environment of this project exactly once; reload and try again.",
    });
    expect(await order(project)).toEqual(before);
    expect(await order(other.project)).toEqual(before);
  });
});

describe("deleting environments", () => {
  it("tells the confirmation dialog the environment's name and how many variables go with it", async () => {
    const { project, id } = await projectWith();
    await updateEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("staging"), variables: { A: "1", B: "2" } });
    expect(await describeEnvironmentDeletion(t.db, project.id, id("staging"))).toEqual({ name: "staging", variableCount: 2 });
  });

  it("requires the environment's name typed exactly, and deletes nothing otherwise", async () => {
    const { project, id } = await projectWith();
    const before = await databaseFingerprint(t.db);
    for (const confirmName of ["", "Staging", "production"]) {
      const error = await rejectionOf(deleteEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("staging"), confirmName }));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ field: "confirmName", message: 'Type the environment\'s name, "staging", to confirm.' });
    }
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("deletes with the typed name and closes the gap in the promotion order", async () => {
    const { project, id } = await projectWith("qa");
    await updateEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("staging"), variables: { SECRETISH: "value" } });
    await deleteEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("staging"), confirmName: "  staging " });
    expect(await order(project)).toEqual([
      ["development", 0],
      ["production", 1],
      ["qa", 2],
    ]);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.objectId, id("staging")), eq(auditEvents.action, "environment.delete")));
    // The record keeps the variable names, not their values.
    expect(event.before).toEqual({ name: "staging", description: "", position: 1, variables: ["SECRETISH"] });
  });

  it("puts a newly created environment after the remaining ones", async () => {
    const { project, id } = await projectWith();
    await deleteEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("development"), confirmName: "development" });
    const env = await createEnvironment(t.db, actor(), { projectId: project.id, name: "qa", description: "" });
    expect(env.position).toBe(2);
  });

  it("says an environment that is gone does not exist", async () => {
    const { project, id } = await projectWith();
    await deleteEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("staging"), confirmName: "staging" });
    await expect(describeEnvironmentDeletion(t.db, project.id, id("staging"))).rejects.toThrow(NotFoundError);
    await expect(deleteEnvironment(t.db, actor(), { projectId: project.id, environmentId: id("staging"), confirmName: "staging" })).rejects.toThrow(
      "This environment does not exist or was deleted.",
    );
  });
});
