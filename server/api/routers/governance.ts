import { environmentIdInput } from "@/server/schemas/environment";
import { addFreezeWindowInput, freezeWindowsInput, overrideFreezeInput, previewInput, removeFreezeWindowInput, setGroupInput, setRulesInput } from "@/server/schemas/governance";
import { projectIdInput } from "@/server/schemas/project";
import { overrideFreeze, recheckProject } from "@/server/services/governance-gate";
import { previewDeployment } from "@/server/services/governance-outlook";
import {
  addFreezeWindow,
  getProtection,
  listApproverGroups,
  listFreezeWindows,
  listRuleVersions,
  removeFreezeWindow,
  setApproverGroup,
  setProtectionRules,
} from "@/server/services/governance-rules";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

/** Environment protection rules, freeze windows, approver groups and freeze overrides. */
export const governanceRouter = router({
  /** The environment's rules in force (version), its freeze windows, the freeze now and the next one. */
  rules: projectProcedure.input(environmentIdInput).query(({ ctx, input }) => getProtection(ctx.db, input.projectId, input.environmentId)),
  /** What the rules would say to deploying a release there now (pass, wait, refuse, needs approval), changing nothing: for buttons and confirmations. */
  preview: projectProcedure.input(previewInput).query(({ ctx, input }) => previewDeployment(ctx.db, input)),
  ruleVersions: projectProcedure.input(environmentIdInput).query(({ ctx, input }) => listRuleVersions(ctx.db, input.projectId, input.environmentId)),
  /** Saves a new version; pending requests keep the version they were made under. */
  setRules: projectProcedure.input(setRulesInput).mutation(({ ctx, input }) => setProtectionRules(ctx.db, actorOf(ctx), input)),
  freezeWindows: projectProcedure.input(freezeWindowsInput).query(({ ctx, input }) => listFreezeWindows(ctx.db, input.projectId, input.environmentId)),
  addFreezeWindow: projectProcedure.input(addFreezeWindowInput).mutation(({ ctx, input }) => addFreezeWindow(ctx.db, actorOf(ctx), input)),
  /** Deployments the window held are judged again at once. */
  removeFreezeWindow: projectProcedure.input(removeFreezeWindowInput).mutation(async ({ ctx, input }) => {
    const removed = await removeFreezeWindow(ctx.db, actorOf(ctx), input);
    await recheckProject(ctx.db, input.projectId);
    return removed;
  }),
  /** An administrator's written override of the freeze for one waiting deployment. */
  overrideFreeze: projectProcedure.input(overrideFreezeInput).mutation(({ ctx, input }) => overrideFreeze(ctx.db, actorOf(ctx), input)),
  groups: projectProcedure.input(projectIdInput).query(({ ctx, input }) => listApproverGroups(ctx.db, input.projectId)),
  setGroup: projectProcedure.input(setGroupInput).mutation(({ ctx, input }) => setApproverGroup(ctx.db, actorOf(ctx), input)),
});
