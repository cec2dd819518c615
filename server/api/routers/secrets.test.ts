import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Project, User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { addMemberDirect, callerFor, createProjectAs, createUser, fieldErrorsOf, trpcErrorOf } from "@/server/testing/fixtures";

let t: TestDatabase;
let owner: User;
let developer: User;
let viewer: User;
let project: Project;

beforeAll(async () => {
  // The router reads the installation's key from the environment, as in production.
  vi.stubEnv("SLIPWAY_SECRET_KEY", randomBytes(32).toString("hex"));
  t = await createTestDatabase();
  [owner, developer, viewer] = await Promise.all([createUser(t.db), createUser(t.db), createUser(t.db)]);
  project = await createProjectAs(t.db, owner);
  await addMemberDirect(t.db, project.id, developer.id, "developer");
  await addMemberDirect(t.db, project.id, viewer.id, "viewer");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
});

describe("the secrets API", () => {
  it("never sends a value back, neither when saving nor when listing", async () => {
    const saved = await callerFor(t.db, owner).secrets.set({ projectId: project.id, name: "registry_password", value: "s3cr3t-registry" });
    expect(saved.name).toBe("REGISTRY_PASSWORD");
    const list = await callerFor(t.db, developer).secrets.list({ projectId: project.id });
    expect(list.map((s) => s.name)).toContain("REGISTRY_PASSWORD");
    expect(JSON.stringify([saved, list])).not.toContain("s3cr3t-registry");
    expect(Object.keys(list[0]).sort()).toEqual(["environmentId", "environmentName", "id", "name", "scope", "updatedAt", "updatedBy"]);
  });

  it("lets developers list, and only maintainers and up change", async () => {
    const setError = await trpcErrorOf(callerFor(t.db, developer).secrets.set({ projectId: project.id, name: "X_TOKEN", value: "v" }));
    expect(setError.code).toBe("FORBIDDEN");
    const deleteError = await trpcErrorOf(callerFor(t.db, developer).secrets.delete({ projectId: project.id, name: "REGISTRY_PASSWORD" }));
    expect(deleteError.code).toBe("FORBIDDEN");
    expect((await trpcErrorOf(callerFor(t.db, viewer).secrets.list({ projectId: project.id }))).code).toBe("FORBIDDEN");
  });

  it("puts a bad name beside the name field", async () => {
    const input = { projectId: project.id, name: "GITHUB_TOKEN", value: "v" };
    const error = await trpcErrorOf(callerFor(t.db, owner).secrets.set(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(fieldErrorsOf(error, "secrets.set", input)).toEqual({ name: ["Secret names may not start with SLIPWAY_ or GITHUB_: those are set by Slipway itself."] });
  });

  it("deletes a secret", async () => {
    await callerFor(t.db, owner).secrets.set({ projectId: project.id, name: "TEMP_KEY", value: "temporary" });
    await callerFor(t.db, owner).secrets.delete({ projectId: project.id, name: "temp_key" });
    expect((await callerFor(t.db, owner).secrets.list({ projectId: project.id })).map((s) => s.name)).not.toContain("TEMP_KEY");
  });
});
