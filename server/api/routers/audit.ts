import { auditExportInput, auditFilterInput } from "@/server/schemas/audit";
import { projectIdInput } from "@/server/schemas/project";
import { listAuditEvents, verifyAuditChain } from "@/server/services/audit";
import { exportAudit, keyFingerprint, loadAuditSigningKey, publicKeyText } from "@/server/services/audit-export";
import { procedure, projectProcedure, router } from "../trpc";

export const auditRouter = router({
  /** One project's events, for its maintainers and admins. */
  list: projectProcedure
    .input(auditFilterInput.extend(projectIdInput.shape))
    .query(({ ctx, input }) => listAuditEvents(ctx.db, input, { projectIds: [input.projectId] })),
  /** Every event, sign-ins and token changes included, for site administrators. */
  listAll: procedure.input(auditFilterInput).query(({ ctx, input }) => listAuditEvents(ctx.db, input, { projectIds: "all" })),
  verify: procedure.query(({ ctx }) => verifyAuditChain(ctx.db)),
  /** One project's filtered events as a file (CSV, JSON, or signed JSON that `npm run audit:verify -- FILE` checks offline). */
  export: projectProcedure
    .input(auditExportInput.extend(projectIdInput.shape))
    .query(({ ctx, input }) => {
      const { format, ...filter } = input;
      return exportAudit(ctx.db, { filter, scope: { projectIds: [input.projectId] }, format, exportedBy: ctx.user.email });
    }),
  /** Every event matching the filter, for site administrators. */
  exportAll: procedure.input(auditExportInput).query(({ ctx, input }) => {
    const { format, ...filter } = input;
    return exportAudit(ctx.db, { filter, scope: { projectIds: "all" }, format, exportedBy: ctx.user.email });
  }),
  /** The fingerprint of the key signed exports carry, for auditors to compare. */
  signingKey: procedure.query(() => {
    const publicKey = publicKeyText(loadAuditSigningKey());
    return { algorithm: "ed25519", publicKey, fingerprint: keyFingerprint(publicKey) };
  }),
});
