import { readSettings } from "@/server/config/settings";
import { jobLogInput, listRunsInput, rerunJobInput, runIdInput, startRunInput } from "@/server/schemas/run";
import { readJobLog } from "@/server/services/job-logs";
import { startManualRun } from "@/server/services/manual-runs";
import { cancelRun, getRun, listRuns, rerun } from "@/server/services/runs";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

export const runsRouter = router({
  list: projectProcedure.input(listRunsInput).query(({ ctx, input }) => listRuns(ctx.db, input.projectId, input)),
  get: projectProcedure.input(runIdInput).query(({ ctx, input }) => getRun(ctx.db, input.projectId, input.runId)),
  log: projectProcedure.input(jobLogInput).query(({ ctx, input }) => readJobLog(ctx.db, input)),
  start: projectProcedure.input(startRunInput).mutation(({ ctx, input }) =>
    startManualRun(ctx.db, actorOf(ctx), {
      project: ctx.project,
      ref: input.ref,
      inputs: input.inputs,
      dataDir: readSettings().dataDir,
      viaApi: ctx.tokenScope !== null,
    }),
  ),
  cancel: projectProcedure.input(runIdInput).mutation(({ ctx, input }) => cancelRun(ctx.db, actorOf(ctx), input)),
  rerunFailed: projectProcedure.input(runIdInput).mutation(({ ctx, input }) => rerun(ctx.db, actorOf(ctx), { ...input, only: { failed: true } })),
  rerunJob: projectProcedure
    .input(rerunJobInput)
    .mutation(({ ctx, input }) => rerun(ctx.db, actorOf(ctx), { projectId: input.projectId, runId: input.runId, only: { jobKey: input.jobKey } })),
});
