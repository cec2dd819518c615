import { auditFilterInput } from "@/server/schemas/audit";
import { projectIdInput } from "@/server/schemas/project";
import { listAuditEvents, verifyAuditChain } from "@/server/services/audit";
import { procedure, projectProcedure, router } from "../trpc";

export const auditRouter = router({
  /** One project's events, for its maintainers and admins. */
  list: projectProcedure
    .input(auditFilterInput.extend(projectIdInput.shape))
    .query(({ ctx, input }) => listAuditEvents(ctx.db, input, { projectIds: [input.projectId] })),
  /** Every event, sign-ins and token changes included, for site administrators. */
  listAll: procedure.input(auditFilterInput).query(({ ctx, input }) => listAuditEvents(ctx.db, input, { projectIds: "all" })),
  verify: procedure.query(({ ctx }) => verifyAuditChain(ctx.db)),
});
