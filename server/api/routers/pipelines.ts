import { readSettings } from "@/server/config/settings";
import { pipelineSourceInput, revisionInput, saveRevisionInput, validatePipelineInput } from "@/server/schemas/pipeline";
import { projectIdInput } from "@/server/schemas/project";
import { getPipeline, getRevision, listRevisions, restoreRevision, saveRevision, setPipelineSource, validatePipeline } from "@/server/services/pipelines";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

export const pipelinesRouter = router({
  get: projectProcedure.input(projectIdInput).query(({ ctx }) => getPipeline(ctx.db, ctx.project, readSettings().dataDir)),
  validate: projectProcedure.input(validatePipelineInput).query(({ input }) => validatePipeline(input.yaml)),
  revisions: projectProcedure.input(projectIdInput).query(({ ctx, input }) => listRevisions(ctx.db, input.projectId)),
  revision: projectProcedure.input(revisionInput).query(({ ctx, input }) => getRevision(ctx.db, input.projectId, input.number)),
  save: projectProcedure.input(saveRevisionInput).mutation(({ ctx, input }) => saveRevision(ctx.db, actorOf(ctx), input)),
  restore: projectProcedure.input(revisionInput).mutation(({ ctx, input }) => restoreRevision(ctx.db, actorOf(ctx), input)),
  setSource: projectProcedure.input(pipelineSourceInput).mutation(({ ctx, input }) => setPipelineSource(ctx.db, actorOf(ctx), input)),
});
