import { projectIdInput } from "@/server/schemas/project";
import { createHookInput, deliveriesInput, hookIdInput } from "@/server/schemas/governance";
import { loadSecretsKey } from "@/server/services/crypto";
import { createHook, deleteHook, listDeliveries, listHooks } from "@/server/services/notifications";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

/** Outgoing webhooks per project, and each one's delivery log. The signing secret is shown once, when the hook is made. */
export const notificationsRouter = router({
  hooks: projectProcedure.input(projectIdInput).query(({ ctx, input }) => listHooks(ctx.db, input.projectId)),
  createHook: projectProcedure.input(createHookInput).mutation(({ ctx, input }) => createHook(ctx.db, loadSecretsKey(), actorOf(ctx), ctx.user, input)),
  deleteHook: projectProcedure.input(hookIdInput).mutation(({ ctx, input }) => deleteHook(ctx.db, actorOf(ctx), input)),
  deliveries: projectProcedure.input(deliveriesInput).query(({ ctx, input }) => listDeliveries(ctx.db, input)),
});
