import { z } from "zod";

export const projectRoles = ["admin", "maintainer", "developer", "viewer"] as const;
export const projectRoleSchema = z.enum(projectRoles, { error: "Role must be admin, maintainer, developer or viewer." });
export type ProjectRole = z.infer<typeof projectRoleSchema>;

export const slugSchema = z
  .string()
  .trim()
  .min(2, "Slug must be at least 2 characters.")
  .max(40, "Slug must be at most 40 characters.")
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "Slug may use lowercase letters, digits and single hyphens between them (like my-app).");

const repositoryUrl = z
  .string()
  .trim()
  .min(1, "Enter the git repository URL.")
  .max(500, "Repository URL must be at most 500 characters.")
  .refine(
    (v) => /^(https?:\/\/|ssh:\/\/|git@[^:]+:|file:\/\/|\/)/.test(v),
    "Repository must be an https://, ssh://, git@host:path or local path (/srv/repo.git) URL.",
  );

const branchName = z
  .string()
  .trim()
  .min(1, "Enter a branch name.")
  .max(200, "Branch name must be at most 200 characters.")
  .refine((v) => !/(\.\.|[\s~^:?*[\\]|^\/|\/$|\.lock$|@\{)/.test(v), "Branch name is not a valid git branch name.");

export const projectNameSchema = z.string().trim().min(1, "Enter a name.").max(80, "Name must be at most 80 characters.");

const descriptionSchema = z.string().trim().max(500, "Description must be at most 500 characters.");

export const projectFieldsSchema = z.object({
  name: projectNameSchema,
  slug: slugSchema,
  repositoryUrl,
  defaultBranch: branchName.default("main"),
  description: descriptionSchema.default(""),
});

export const createProjectInput = projectFieldsSchema;
export type CreateProjectInput = z.input<typeof createProjectInput>;

export const projectIdInput = z.object({ projectId: z.uuid("Unknown project.") });

/** Only the fields sent change: no defaults here, or saving a name would reset the branch and description. */
export const updateProjectInput = projectIdInput.extend({
  name: projectNameSchema.optional(),
  slug: slugSchema.optional(),
  repositoryUrl: repositoryUrl.optional(),
  defaultBranch: branchName.optional(),
  description: descriptionSchema.optional(),
});
export type UpdateProjectInput = z.infer<typeof updateProjectInput>;

/** Trimmed before it is checked, so an address pasted with a stray space is accepted. */
export const memberEmailSchema = z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address."));

export const addMemberInput = projectIdInput.extend({ email: memberEmailSchema, role: projectRoleSchema });
export const updateMemberInput = projectIdInput.extend({ userId: z.uuid(), role: projectRoleSchema });
export const removeMemberInput = projectIdInput.extend({ userId: z.uuid() });

/** Pages address projects by slug, the API by id: read procedures take either. */
export const projectRefInput = z.union([projectIdInput, z.object({ projectSlug: slugSchema })]);
