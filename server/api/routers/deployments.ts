import { readSettings } from "@/server/config/settings";
import { deployInput, deploymentIdInput, listDeploymentsInput, previewInput, promoteInput, rollbackInput, type SignalName } from "@/server/schemas/deployment";
import { environmentIdInput } from "@/server/schemas/environment";
import { projectIdInput } from "@/server/schemas/project";
import { targetSettingsInput } from "@/server/schemas/target";
import { deploymentBoard, previewDeployment } from "@/server/services/deployment-board";
import { getDeployment, listDeployments, promoteRelease, requestDeployment, rollbackEnvironment, signalDeployment } from "@/server/services/deployments";
import { getTargetSettings, setTargetSettings } from "@/server/services/targets-config";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

const signal = (type: SignalName) =>
  projectProcedure.input(deploymentIdInput).mutation(({ ctx, input }) => signalDeployment(ctx.db, actorOf(ctx), { ...input, type }));

/** Where the web process reaches the router (same machine) and the host people reach environments on. */
function boardOptions() {
  const settings = readSettings();
  return { routerUrl: `http://127.0.0.1:${settings.SLIPWAY_ROUTER_PORT}`, publicHost: new URL(settings.url).hostname };
}

export const deploymentsRouter = router({
  /** Per environment in promotion order: current release, latest deployment, health, and which buttons apply (or why not, the protection rules included). */
  board: projectProcedure.input(projectIdInput).query(({ ctx, input }) => deploymentBoard(ctx.db, input.projectId, boardOptions())),
  /** Exactly what a deploy, promotion or rollback would change: version, commits, digest, variables, strategy, place in line, what the rules hold it for. */
  preview: projectProcedure.input(previewInput).query(({ ctx, input }) => previewDeployment(ctx.db, readSettings().dataDir, input)),
  list: projectProcedure.input(listDeploymentsInput).query(({ ctx, input }) => listDeployments(ctx.db, input.projectId, input.environmentId, input.limit)),
  /** Steps (history), traffic changes, analysis verdicts, signals, place in line, and what the rules hold it for. */
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
