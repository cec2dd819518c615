import { readSettings } from "@/server/config/settings";
import { rotateWebhookSecretInput, webhookSettingsInput } from "@/server/schemas/webhook";
import { getProject } from "@/server/services/projects";
import { loadWebhookKey, rotateWebhookSecret, webhookSettings, webhookUrls } from "@/server/services/webhook-secrets";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

/** The payload URLs use SLIPWAY_URL, the address git hosts reach Slipway at. */
const baseUrl = () => readSettings().url;

export const webhooksRouter = router({
  settings: projectProcedure.input(webhookSettingsInput).query(({ ctx, input }) => webhookSettings(ctx.db, input.projectId, baseUrl())),
  /** The new secret is in this response only: Slipway shows it once and keeps it encrypted. */
  rotateSecret: projectProcedure.input(rotateWebhookSecretInput).mutation(async ({ ctx, input }) => {
    const secret = await rotateWebhookSecret(ctx.db, loadWebhookKey(), actorOf(ctx), input.projectId);
    const project = await getProject(ctx.db, input.projectId);
    return { secret, urls: webhookUrls(baseUrl(), project.slug) };
  }),
});
