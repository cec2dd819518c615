import { approveInput, bulkApproveInput, gateInput, inboxInput, listRequestsInput, rejectInput, requestIdInput } from "@/server/schemas/governance";
import { approveMany, decideApproval, deploymentGate, getApprovalRequest, inboxCount, listApprovalRequests, listInbox } from "@/server/services/approvals";
import { actorOf } from "../context";
import { procedure, projectProcedure, router } from "../trpc";

/**
 * The approval inbox and decisions. The inbox spans every project the caller belongs to; a
 * decision names its project, and the rules (stage, approvers, separation of duties) decide
 * beyond the access table's minimum role.
 */
export const approvalsRouter = router({
  /** Every pending approval the caller may act on, across projects, newest first. */
  inbox: procedure.input(inboxInput).query(({ ctx, input }) => listInbox(ctx.db, ctx.user, { limit: input?.limit ?? 100 })),
  /** How many: the navigation's count. */
  count: procedure.query(({ ctx }) => inboxCount(ctx.db, ctx.user)),
  /** One request in full, with whether the caller may decide it and why not. */
  get: projectProcedure.input(requestIdInput).query(({ ctx, input }) => getApprovalRequest(ctx.db, ctx.user, input)),
  /** The project's requests, any status, newest first. */
  list: projectProcedure.input(listRequestsInput).query(({ ctx, input }) => listApprovalRequests(ctx.db, input)),
  /** What a deployment waits for (approval, freeze, timer), the rules version that judged it, overrides. */
  gate: projectProcedure.input(gateInput).query(({ ctx, input }) => deploymentGate(ctx.db, input)),
  approve: projectProcedure.input(approveInput).mutation(({ ctx, input }) => decideApproval(ctx.db, ctx.user, actorOf(ctx), { ...input, decision: "approved" })),
  reject: projectProcedure.input(rejectInput).mutation(({ ctx, input }) => decideApproval(ctx.db, ctx.user, actorOf(ctx), { ...input, decision: "rejected" })),
  bulkApprove: projectProcedure.input(bulkApproveInput).mutation(({ ctx, input }) => approveMany(ctx.db, ctx.user, actorOf(ctx), input)),
});
