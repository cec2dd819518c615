import { deployInput, deploymentIdInput, listDeploymentsInput, promoteInput, rollbackInput, type SignalName } from "@/server/schemas/deployment";
import { environmentIdInput } from "@/server/schemas/environment";
import { targetSettingsInput } from "@/server/schemas/target";
import { getDeployment, listDeployments, promoteRelease, requestDeployment, rollbackEnvironment, signalDeployment } from "@/server/services/deployments";
import { getTargetSettings, setTargetSettings } from "@/server/services/targets-config";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

const signal = (type: SignalName) =>
  projectProcedure.input(deploymentIdInput).mutation(({ ctx, input }) => signalDeployment(ctx.db, actorOf(ctx), { ...input, type }));

export const deploymentsRouter = router({
  list: projectProcedure.input(listDeploymentsInput).query(({ ctx, input }) => listDeployments(ctx.db, input.projectId, input.environmentId, input.limit)),
  /** Steps (history), traffic changes, analysis verdicts, signals and place in line. */
  get: projectProcedure.input(deploymentIdInput).query(({ ctx, input }) => getDeployment(ctx.db, input.projectId, input.deploymentId)),
  deploy: projectProcedure.input(deployInput).mutation(({ ctx, input }) => requestDeployment(ctx.db, actorOf(ctx), input)),
  promote: projectProcedure.input(promoteInput).mutation(({ ctx, input }) => promoteRelease(ctx.db, actorOf(ctx), input)),
  rollback: projectProcedure.input(rollbackInput).mutation(({ ctx, input }) => rollbackEnvironment(ctx.db, actorOf(ctx), input)),
  pause: signal("pause"),
  resume: signal("resume"),
  promoteNow: signal("promoteNow"),
  abort: signal("abort"),
  /** The environment's target settings (null until set). */
  target: projectProcedure.input(environmentIdInput).query(({ ctx, input }) => getTargetSettings(ctx.db, input.projectId, input.environmentId)),
  setTarget: projectProcedure.input(targetSettingsInput).mutation(({ ctx, input }) => setTargetSettings(ctx.db, actorOf(ctx), input)),
});
