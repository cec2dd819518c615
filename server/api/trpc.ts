import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Project, User } from "@/db/schema";
import type { ProjectRole } from "@/server/schemas/project";
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
} from "@/server/services/errors";
import { findMemberRole } from "@/server/services/members";
import { findProjectBySlug, getProject } from "@/server/services/projects";
import { procedureAccess, roleAllows } from "./access";
import type { ApiContext } from "./context";

const t = initTRPC.context<ApiContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    let fieldErrors: Record<string, string[] | undefined> | undefined;
    if (cause instanceof ZodError) fieldErrors = z.flattenError(cause).fieldErrors as Record<string, string[]>;
    else if (cause instanceof DomainError && cause.field) fieldErrors = { [cause.field]: [cause.message] };
    return { ...shape, data: { ...shape.data, fieldErrors } };
  },
});

const codeOf = (error: DomainError): TRPCError["code"] =>
  error instanceof NotFoundError
    ? "NOT_FOUND"
    : error instanceof ForbiddenError
      ? "FORBIDDEN"
      : error instanceof ConflictError
        ? "CONFLICT"
        : error instanceof UnauthorizedError
          ? "UNAUTHORIZED"
          : error instanceof TooManyRequestsError
            ? "TOO_MANY_REQUESTS"
            : error instanceof InvalidInputError
              ? "BAD_REQUEST"
              : "INTERNAL_SERVER_ERROR";

/** Services throw domain errors; this is the one place they become HTTP status codes. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: codeOf(cause), message: cause.message, cause });
  }
  return result;
});

const projectRef = z.union([z.object({ projectId: z.uuid() }), z.object({ projectSlug: z.string() })]);

/** Enforces `procedureAccess` for the called path; see access.ts. */
const access = t.middleware(async ({ ctx, path, type, getRawInput, next }) => {
  const rule = procedureAccess[path];
  if (!rule) throw new TRPCError({ code: "FORBIDDEN", message: `No access rule is defined for ${path}.` });
  if (!ctx.user) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "Sign in first, or send an API token as Authorization: Bearer <token>." });
  }
  if (type === "mutation" && ctx.tokenScope === "read") {
    throw new TRPCError({ code: "FORBIDDEN", message: "This API token is read-only; create a read-write token to make changes." });
  }
  const user = ctx.user;
  if (rule.kind === "siteAdmin" && !user.isAdmin) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Only Slipway administrators may do this." });
  }
  if (rule.kind !== "project") return next({ ctx: { ...ctx, user, project: null as Project | null, role: null as ProjectRole | null } });

  const ref = projectRef.safeParse(await getRawInput());
  if (!ref.success) throw new TRPCError({ code: "BAD_REQUEST", message: "Name the project with projectId or projectSlug." });
  const project = await resolveProject(ctx, ref.data);
  const role: ProjectRole | null = user.isAdmin ? "admin" : await findMemberRole(ctx.db, project.id, user.id);
  if (!role) throw new TRPCError({ code: "FORBIDDEN", message: `You are not a member of the project "${project.name}".` });
  if (!roleAllows(role, rule.role)) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `This needs the ${rule.role} role in "${project.name}"; you are a ${role}.`,
    });
  }
  return next({ ctx: { ...ctx, user, project: project as Project | null, role: role as ProjectRole | null } });
});

async function resolveProject(ctx: ApiContext, ref: { projectId: string } | { projectSlug: string }): Promise<Project> {
  if ("projectId" in ref) {
    try {
      return await getProject(ctx.db, ref.projectId);
    } catch {
      throw new TRPCError({ code: "NOT_FOUND", message: "This project does not exist or was deleted." });
    }
  }
  const project = await findProjectBySlug(ctx.db, ref.projectSlug);
  if (!project) throw new TRPCError({ code: "NOT_FOUND", message: `There is no project "${ref.projectSlug}".` });
  return project;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Every procedure goes through the access table: there is no unauthenticated procedure in the API. */
export const procedure = t.procedure.use(domainErrors).use(access);

/** For procedures whose rule is `project`: ctx.project and ctx.role are set. */
export type ProjectCtx = ApiContext & { user: User; project: Project; role: ProjectRole };
export const projectProcedure = procedure.use(({ ctx, next }) => {
  if (!ctx.project || !ctx.role) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Project procedure without a project access rule." });
  return next({ ctx: { ...ctx, project: ctx.project, role: ctx.role } });
});
