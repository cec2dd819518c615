import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, projectMembers, type Project, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import {
  actorFor,
  addMemberDirect,
  callerFor,
  createProjectAs,
  createUser,
  databaseFingerprint,
  fieldErrorsOf,
  rejectionOf,
  trpcErrorOf,
} from "@/server/testing/fixtures";
import { ConflictError, NotFoundError } from "./errors";
import { addMember, findMemberRole, listMembers, removeMember, updateMemberRole } from "./members";

let t: TestDatabase;
let admin: User;
let second: User;
let third: User;

beforeAll(async () => {
  t = await createTestDatabase();
  [admin, second, third] = await Promise.all([
    createUser(t.db, { name: "Ada Admin", email: "ada@example.test" }),
    createUser(t.db, { name: "Ben Second", email: "ben@example.test" }),
    createUser(t.db, { name: "Cy Third", email: "cy@example.test" }),
  ]);
});

afterAll(async () => {
  await t.close();
});

/** A project whose only member is `admin`, as its admin. */
const freshProject = () => createProjectAs(t.db, admin);

async function roles(project: Project) {
  const rows = await t.db.select().from(projectMembers).where(eq(projectMembers.projectId, project.id));
  return Object.fromEntries(rows.map((r) => [r.userId, r.role]));
}

describe("adding members", () => {
  it("adds someone who has signed in, by email, with the chosen role and an audit event", async () => {
    const project = await freshProject();
    const added = await addMember(t.db, actorFor(admin), { projectId: project.id, email: second.email, role: "developer" });
    expect(added).toEqual({ userId: second.id, email: second.email, name: second.name, role: "developer" });
    expect(await findMemberRole(t.db, project.id, second.id)).toBe("developer");
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, project.id), eq(auditEvents.action, "member.add")));
    expect(event).toMatchObject({ objectId: second.id, actorId: admin.id, after: { email: second.email, role: "developer" } });
  });

  it("accepts an email typed with capitals and stray spaces", async () => {
    const project = await freshProject();
    await callerFor(t.db, admin).members.add({ projectId: project.id, email: "  Ben@Example.TEST ", role: "viewer" });
    expect(await findMemberRole(t.db, project.id, second.id)).toBe("viewer");
  });

  it("says on the email field that an unknown person must sign in first, and adds no one", async () => {
    const project = await freshProject();
    const before = await databaseFingerprint(t.db);
    const error = await rejectionOf(addMember(t.db, actorFor(admin), { projectId: project.id, email: "nobody@example.test", role: "viewer" }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({
      field: "email",
      message: "No one with the email nobody@example.test has signed in to Slipway yet. Ask them to sign in once, then add them.",
    });
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("shows the form the unknown email as a not-found error on the email field", async () => {
    const project = await freshProject();
    const input = { projectId: project.id, email: "nobody@example.test", role: "viewer" as const };
    const error = await trpcErrorOf(callerFor(t.db, admin).members.add(input));
    expect(error.code).toBe("NOT_FOUND");
    expect(fieldErrorsOf(error, "members.add", input)).toEqual({ email: [expect.stringContaining("has signed in to Slipway yet")] });
  });

  it("rejects a malformed email and an unknown role on their fields", async () => {
    const project = await freshProject();
    const input = { projectId: project.id, email: "not-an-email", role: "owner" };
    // @ts-expect-error: "owner" is not a role, as a hand-written API call might send.
    const error = await trpcErrorOf(callerFor(t.db, admin).members.add(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(fieldErrorsOf(error, "members.add", input)).toEqual({
      email: ["Enter a valid email address."],
      role: ["Role must be admin, maintainer, developer or viewer."],
    });
  });

  it("says when the person is already a member, and keeps their role", async () => {
    const project = await freshProject();
    await addMemberDirect(t.db, project.id, second.id, "maintainer");
    const error = await rejectionOf(addMember(t.db, actorFor(admin), { projectId: project.id, email: second.email, role: "viewer" }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ field: "email", message: `${second.email} is already a member (maintainer).` });
    expect(await findMemberRole(t.db, project.id, second.id)).toBe("maintainer");
  });

  it("lists members by name with their roles", async () => {
    const project = await freshProject();
    await addMemberDirect(t.db, project.id, third.id, "viewer");
    await addMemberDirect(t.db, project.id, second.id, "developer");
    const members = await listMembers(t.db, project.id);
    expect(members.map((m) => [m.name, m.role])).toEqual([
      ["Ada Admin", "admin"],
      ["Ben Second", "developer"],
      ["Cy Third", "viewer"],
    ]);
  });
});

describe("changing roles and removing members", () => {
  it("changes a member's role and records before and after", async () => {
    const project = await freshProject();
    await addMemberDirect(t.db, project.id, second.id, "developer");
    await updateMemberRole(t.db, actorFor(admin), { projectId: project.id, userId: second.id, role: "maintainer" });
    expect(await findMemberRole(t.db, project.id, second.id)).toBe("maintainer");
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, project.id), eq(auditEvents.action, "member.update_role")));
    expect(event).toMatchObject({ objectId: second.id, before: { role: "developer" }, after: { role: "maintainer" } });
  });

  it("removes a member and records the role they had", async () => {
    const project = await freshProject();
    await addMemberDirect(t.db, project.id, second.id, "viewer");
    await removeMember(t.db, actorFor(admin), { projectId: project.id, userId: second.id });
    expect(await findMemberRole(t.db, project.id, second.id)).toBeNull();
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, project.id), eq(auditEvents.action, "member.remove")));
    expect(event).toMatchObject({ objectId: second.id, before: { role: "viewer" } });
  });

  it("refuses to remove the last admin, and leaves every role as it was", async () => {
    const project = await freshProject();
    await addMemberDirect(t.db, project.id, second.id, "maintainer");
    const before = await roles(project);
    const error = await rejectionOf(removeMember(t.db, actorFor(admin), { projectId: project.id, userId: admin.id }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ field: "role", message: "A project needs at least one admin: make someone else admin first." });
    expect(await roles(project)).toEqual(before);
  });

  it("refuses to demote the last admin, and leaves every role as it was", async () => {
    const project = await freshProject();
    await addMemberDirect(t.db, project.id, second.id, "developer");
    const before = await roles(project);
    const error = await trpcErrorOf(callerFor(t.db, admin).members.updateRole({ projectId: project.id, userId: admin.id, role: "maintainer" }));
    expect(error.code).toBe("CONFLICT");
    expect(error.cause).toBeInstanceOf(ConflictError);
    expect(await roles(project)).toEqual(before);
  });

  it("lets an admin step down once someone else is admin", async () => {
    const project = await freshProject();
    await addMemberDirect(t.db, project.id, second.id, "admin");
    await updateMemberRole(t.db, actorFor(admin), { projectId: project.id, userId: admin.id, role: "viewer" });
    expect(await roles(project)).toEqual({ [admin.id]: "viewer", [second.id]: "admin" });
  });

  it("keeps one admin when two admins demote each other at the same moment", async () => {
    const project = await freshProject();
    await addMemberDirect(t.db, project.id, second.id, "admin");
    const results = await Promise.allSettled([
      updateMemberRole(t.db, actorFor(admin), { projectId: project.id, userId: second.id, role: "developer" }),
      updateMemberRole(t.db, actorFor(second), { projectId: project.id, userId: admin.id, role: "developer" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const after = Object.values(await roles(project));
    expect(after.filter((r) => r === "admin")).toHaveLength(1);
  });

  it("says a person who is not a member cannot be changed or removed", async () => {
    const project = await freshProject();
    const error = await rejectionOf(removeMember(t.db, actorFor(admin), { projectId: project.id, userId: randomUUID() }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ field: "userId", message: "That person is not a member of this project." });
    await expect(updateMemberRole(t.db, actorFor(admin), { projectId: project.id, userId: third.id, role: "viewer" })).rejects.toThrow(
      "That person is not a member of this project.",
    );
  });
});
