import { randomUUID } from "node:crypto";
import { and, asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { auditEvents, environments, projectMembers, projects, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import {
  actorFor,
  addMemberDirect,
  auditCount,
  callerFor,
  createProjectAs,
  createUser,
  databaseFingerprint,
  fieldErrorsOf,
  rejectionOf,
  trpcErrorOf,
  unique,
} from "@/server/testing/fixtures";
import { verifyAuditChain } from "./audit";
import { ConflictError } from "./errors";
import { createProject, getProject, listProjects, setProjectArchived, updateProject } from "./projects";

let t: TestDatabase;
let owner: User;
let other: User;
let siteAdmin: User;

beforeAll(async () => {
  t = await createTestDatabase();
  [owner, other, siteAdmin] = await Promise.all([
    createUser(t.db, { name: "Olivia Owner" }),
    createUser(t.db, { name: "Oscar Other" }),
    createUser(t.db, { name: "Sam Site-Admin", isAdmin: true }),
  ]);
});

afterAll(async () => {
  await t.close();
});

const newProject = (overrides: Record<string, string> = {}) => ({
  name: "Web shop",
  slug: unique("shop"),
  repositoryUrl: "https://git.example.test/acme/shop.git",
  ...overrides,
});

describe("creating a project", () => {
  it("makes the creator its admin and adds development, staging and production in that order", async () => {
    const project = await createProject(t.db, actorFor(owner), newProject({ defaultBranch: "trunk", description: "  The shop  " }));
    expect(project).toMatchObject({ name: "Web shop", defaultBranch: "trunk", description: "The shop", archivedAt: null });

    const members = await t.db.select().from(projectMembers).where(eq(projectMembers.projectId, project.id));
    expect(members.map((m) => [m.userId, m.role])).toEqual([[owner.id, "admin"]]);

    const envs = await t.db.select().from(environments).where(eq(environments.projectId, project.id)).orderBy(asc(environments.position));
    expect(envs.map((e) => [e.name, e.position])).toEqual([
      ["development", 0],
      ["staging", 1],
      ["production", 2],
    ]);
  });

  it("records exactly one audit event naming who created it and with what", async () => {
    const input = newProject();
    const project = await createProject(t.db, actorFor(owner), input);
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.projectId, project.id));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "project.create",
      objectType: "project",
      objectId: project.id,
      actorId: owner.id,
      actorLabel: owner.email,
      after: { slug: input.slug, name: "Web shop", defaultBranch: "main", environments: ["development", "staging", "production"] },
    });
  });

  it("writes neither project nor audit event when the creation fails part-way", async () => {
    const before = await databaseFingerprint(t.db);
    const ghost = { userId: randomUUID(), label: "ghost@example.test", ip: null, via: "session" };
    const input = newProject();
    // The project row is inserted, then adding its (non-existent) creator as admin fails.
    await expect(createProject(t.db, ghost, input)).rejects.toThrow();
    expect(await databaseFingerprint(t.db)).toEqual(before);
    expect(await t.db.select().from(projects).where(eq(projects.slug, input.slug))).toEqual([]);
  });

  it("is not created when its audit event cannot be written", async () => {
    await t.db.execute(sql`
      create function refuse_doomed_audit() returns trigger language plpgsql as $$
      begin
        if new.after->>'name' = 'Doomed' then raise exception 'audit storage refused the event'; end if;
        return new;
      end $$`);
    await t.db.execute(sql`create trigger refuse_doomed before insert on audit_events for each row execute function refuse_doomed_audit()`);
    try {
      const before = await databaseFingerprint(t.db);
      await expect(createProject(t.db, actorFor(owner), newProject({ name: "Doomed" }))).rejects.toThrow();
      expect(await databaseFingerprint(t.db)).toEqual(before);
    } finally {
      await t.db.execute(sql`drop trigger refuse_doomed on audit_events`);
      await t.db.execute(sql`drop function refuse_doomed_audit()`);
    }
  });

  it("refuses a slug another project uses, on the slug field, and writes nothing", async () => {
    const taken = await createProjectAs(t.db, owner);
    const before = await databaseFingerprint(t.db);
    const error = await rejectionOf(createProject(t.db, actorFor(other), newProject({ slug: taken.slug })));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ field: "slug", message: `The slug "${taken.slug}" is already used by another project; choose another.` });
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("lets only one of two simultaneous requests for the same slug win", async () => {
    const input = newProject();
    const results = await Promise.allSettled([createProject(t.db, actorFor(owner), input), createProject(t.db, actorFor(other), input)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const [failure] = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(failure.reason).toBeInstanceOf(ConflictError);
    expect(failure.reason).toMatchObject({ field: "slug" });
    expect(await t.db.select().from(projects).where(eq(projects.slug, input.slug))).toHaveLength(1);
    const created = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "project.create"), sql`${auditEvents.after}->>'slug' = ${input.slug}`));
    expect(created).toHaveLength(1);
  });

  it("shows the form a taken slug as a conflict on the slug field", async () => {
    const taken = await createProjectAs(t.db, owner);
    const input = newProject({ slug: taken.slug });
    const error = await trpcErrorOf(callerFor(t.db, other).projects.create(input));
    expect(error.code).toBe("CONFLICT");
    expect(fieldErrorsOf(error, "projects.create", input)).toEqual({
      slug: [`The slug "${taken.slug}" is already used by another project; choose another.`],
    });
  });

  it("rejects a malformed slug and an over-long name with a message on each field, and writes nothing", async () => {
    const before = await databaseFingerprint(t.db);
    const input = newProject({ slug: "My Shop!", name: "n".repeat(81) });
    const error = await trpcErrorOf(callerFor(t.db, owner).projects.create(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.cause).toBeInstanceOf(ZodError);
    const issues = (error.cause as ZodError).issues.map((i) => [i.path.join("."), i.message]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ["slug", "Slug may use lowercase letters, digits and single hyphens between them (like my-app)."],
        ["name", "Name must be at most 80 characters."],
      ]),
    );
    expect(fieldErrorsOf(error, "projects.create", input)).toMatchObject({
      slug: ["Slug may use lowercase letters, digits and single hyphens between them (like my-app)."],
      name: ["Name must be at most 80 characters."],
    });
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it.each([
    ["a slug of one character", { slug: "a" }, "slug", "Slug must be at least 2 characters."],
    ["a slug with a double hyphen", { slug: "my--app" }, "slug", "Slug may use lowercase letters, digits and single hyphens between them (like my-app)."],
    ["an empty name", { name: "   " }, "name", "Enter a name."],
    ["a repository that is not a URL", { repositoryUrl: "github.com/acme/shop" }, "repositoryUrl", "Repository must be an https://, ssh://, git@host:path or local path (/srv/repo.git) URL."],
    ["an invalid branch name", { defaultBranch: "feature..x" }, "defaultBranch", "Branch name is not a valid git branch name."],
  ])("rejects %s on its field", async (_label, overrides, field, message) => {
    const input = newProject(overrides);
    const error = await trpcErrorOf(callerFor(t.db, owner).projects.create(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(fieldErrorsOf(error, "projects.create", input)).toEqual({ [field]: [message] });
  });

  it("accepts ssh, scp-style and local repository addresses", async () => {
    for (const repositoryUrl of ["ssh://git@git.example.test/acme/shop.git", "git@github.com:acme/shop.git", "/srv/git/shop.git"]) {
      await expect(createProject(t.db, actorFor(owner), newProject({ repositoryUrl }))).resolves.toMatchObject({ repositoryUrl });
    }
  });
});

describe("editing a project", () => {
  it("changes only the fields sent, keeping the default branch and description", async () => {
    const project = await createProjectAs(t.db, owner, { defaultBranch: "develop", description: "Keep me" });
    const updated = await callerFor(t.db, owner).projects.update({ projectId: project.id, name: "Renamed shop" });
    expect(updated).toMatchObject({ name: "Renamed shop", defaultBranch: "develop", description: "Keep me", slug: project.slug });
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, project.id), eq(auditEvents.action, "project.update")));
    expect(event.before).toEqual({ name: project.name });
    expect(event.after).toEqual({ name: "Renamed shop" });
  });

  it("refuses a slug another project uses, on the slug field", async () => {
    const [a, b] = [await createProjectAs(t.db, owner), await createProjectAs(t.db, owner)];
    const error = await rejectionOf(updateProject(t.db, actorFor(owner), { projectId: a.id, slug: b.slug }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ field: "slug" });
    expect((await getProject(t.db, a.id)).slug).toBe(a.slug);
  });

  it("keeps a project's own slug when it is sent unchanged", async () => {
    const project = await createProjectAs(t.db, owner);
    await expect(updateProject(t.db, actorFor(owner), { projectId: project.id, slug: project.slug, name: "Same slug" })).resolves.toMatchObject({
      slug: project.slug,
      name: "Same slug",
    });
  });

  it("accepts a save with no changes and records nothing", async () => {
    const project = await createProjectAs(t.db, owner);
    const events = await auditCount(t.db);
    await expect(callerFor(t.db, owner).projects.update({ projectId: project.id })).resolves.toMatchObject({ id: project.id, name: project.name });
    expect(await auditCount(t.db)).toBe(events);
  });
});

describe("archiving a project", () => {
  it("hides it from the project list, keeps it readable, and brings it back when unarchived", async () => {
    const project = await createProjectAs(t.db, owner);
    const caller = callerFor(t.db, owner);
    await caller.projects.archive({ projectId: project.id });
    expect((await caller.projects.list()).map((p) => p.id)).not.toContain(project.id);
    expect((await caller.projects.list({ includeArchived: true })).map((p) => p.id)).toContain(project.id);
    expect((await caller.projects.get({ projectId: project.id })).archivedAt).toBeInstanceOf(Date);
    await caller.projects.unarchive({ projectId: project.id });
    expect((await caller.projects.list()).map((p) => p.id)).toContain(project.id);
  });

  it("says so when the project is already archived, or not archived", async () => {
    const project = await createProjectAs(t.db, owner);
    await setProjectArchived(t.db, actorFor(owner), project.id, true);
    await expect(setProjectArchived(t.db, actorFor(owner), project.id, true)).rejects.toThrow("This project is already archived.");
    await setProjectArchived(t.db, actorFor(owner), project.id, false);
    await expect(setProjectArchived(t.db, actorFor(owner), project.id, false)).rejects.toThrow("This project is not archived.");
  });

  it("leaves an audit trail that still verifies (its events record dates)", async () => {
    const project = await createProjectAs(t.db, owner);
    await setProjectArchived(t.db, actorFor(owner), project.id, true);
    await setProjectArchived(t.db, actorFor(owner), project.id, false);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  });
});

describe("listing projects", () => {
  it("shows people the projects they belong to with their role, and site admins every project", async () => {
    const mine = await createProjectAs(t.db, owner, { name: "Aardvark" });
    const shared = await createProjectAs(t.db, owner, { name: "Aardwolf" });
    await addMemberDirect(t.db, shared.id, other.id, "developer");

    const forOther = await listProjects(t.db, { userId: other.id, isAdmin: false });
    expect(forOther.map((p) => [p.id, p.role, p.environmentCount])).toContainEqual([shared.id, "developer", 3]);
    expect(forOther.map((p) => p.id)).not.toContain(mine.id);

    const forAdmin = await listProjects(t.db, { userId: siteAdmin.id, isAdmin: true });
    expect(forAdmin.map((p) => p.id)).toEqual(expect.arrayContaining([mine.id, shared.id]));
    expect(forAdmin.find((p) => p.id === mine.id)?.role).toBeNull();
    // Sorted by name.
    const ids = forAdmin.map((p) => p.id);
    expect(ids.indexOf(mine.id)).toBeLessThan(ids.indexOf(shared.id));
  });
});
