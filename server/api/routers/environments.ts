import {
  createEnvironmentInput,
  deleteEnvironmentInput,
  environmentIdInput,
  reorderEnvironmentsInput,
  updateEnvironmentInput,
} from "@/server/schemas/environment";
import { projectIdInput } from "@/server/schemas/project";
import {
  createEnvironment,
  deleteEnvironment,
  describeEnvironmentDeletion,
  listEnvironments,
  reorderEnvironments,
  updateEnvironment,
} from "@/server/services/environments";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

export const environmentsRouter = router({
  list: projectProcedure.input(projectIdInput).query(({ ctx, input }) => listEnvironments(ctx.db, input.projectId)),
  create: projectProcedure.input(createEnvironmentInput).mutation(({ ctx, input }) => createEnvironment(ctx.db, actorOf(ctx), input)),
  update: projectProcedure.input(updateEnvironmentInput).mutation(({ ctx, input }) => updateEnvironment(ctx.db, actorOf(ctx), input)),
  reorder: projectProcedure.input(reorderEnvironmentsInput).mutation(({ ctx, input }) => reorderEnvironments(ctx.db, actorOf(ctx), input)),
  deletionImpact: projectProcedure
    .input(environmentIdInput)
    .query(({ ctx, input }) => describeEnvironmentDeletion(ctx.db, input.projectId, input.environmentId)),
  delete: projectProcedure.input(deleteEnvironmentInput).mutation(({ ctx, input }) => deleteEnvironment(ctx.db, actorOf(ctx), input)),
});
