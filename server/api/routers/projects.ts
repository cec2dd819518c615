import { z } from "zod";
import { createProjectInput, projectIdInput, projectRefInput, updateProjectInput } from "@/server/schemas/project";
import { createProject, listProjects, setProjectArchived, updateProject } from "@/server/services/projects";
import { actorOf } from "../context";
import { procedure, projectProcedure, router } from "../trpc";

export const projectsRouter = router({
  list: procedure
    .input(z.object({ includeArchived: z.boolean().default(false) }).default({ includeArchived: false }))
    .query(({ ctx, input }) => listProjects(ctx.db, { userId: ctx.user.id, isAdmin: ctx.user.isAdmin }, input)),
  create: procedure.input(createProjectInput).mutation(({ ctx, input }) => createProject(ctx.db, actorOf(ctx), input)),
  get: projectProcedure.input(projectRefInput).query(({ ctx }) => ({ ...ctx.project, role: ctx.role })),
  update: projectProcedure.input(updateProjectInput).mutation(({ ctx, input }) => updateProject(ctx.db, actorOf(ctx), input)),
  archive: projectProcedure
    .input(projectIdInput)
    .mutation(({ ctx, input }) => setProjectArchived(ctx.db, actorOf(ctx), input.projectId, true)),
  unarchive: projectProcedure
    .input(projectIdInput)
    .mutation(({ ctx, input }) => setProjectArchived(ctx.db, actorOf(ctx), input.projectId, false)),
});
