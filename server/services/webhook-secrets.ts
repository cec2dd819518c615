import { randomBytes } from "node:crypto";
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { projectPipelineSettings, runs, webhookDeliveries } from "@/db/schema";
import { deriveKey, loadSecretKey } from "@/server/config/secret-key";
import { readSettings } from "@/server/config/settings";
import { MAX_WEBHOOK_BODY_BYTES } from "@/server/schemas/webhook";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { decryptText, DecryptionError, encryptText } from "./crypto";
import { NotFoundError } from "./errors";
import { getProject } from "./projects";
import type { WebhookDeps } from "./webhooks";

/**
 * A project's webhook settings: the payload URLs, the secret and the recent
 * deliveries. Each project has its own webhook secret: GitHub signs deliveries with it
 * (HMAC-SHA256) and GitLab sends it as X-Gitlab-Token. It is stored encrypted
 * under a key derived for this purpose only, and shown once when it is made.
 */
export function webhookKeyFrom(master: Buffer): Buffer {
  return deriveKey(master, "webhooks");
}

/** Read on every call and never created here, like the secrets key: only `npm start` creates the master key. */
export function loadWebhookKey(env: Record<string, string | undefined> = process.env): Buffer {
  const settings = readSettings(env);
  return webhookKeyFrom(loadSecretKey(settings, settings.dataDir, { create: false }));
}

/** Binds the ciphertext to its project, so a secret copied onto another project's row does not decrypt there. */
const context = (projectId: string) => `slipway:webhook:${projectId}`;

/** 32 random bytes, URL-safe: pasted into GitHub's and GitLab's secret fields as is. */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** The project's webhook secret, or null when none was made yet. */
export async function readWebhookSecret(db: Tx, key: Buffer, projectId: string): Promise<string | null> {
  const [row] = await db
    .select({ encrypted: projectPipelineSettings.webhookSecretEncrypted })
    .from(projectPipelineSettings)
    .where(eq(projectPipelineSettings.projectId, projectId));
  if (!row?.encrypted) return null;
  try {
    return decryptText(key, row.encrypted, context(projectId));
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    throw new DecryptionError(
      "The webhook secret could not be decrypted: it was altered, or saved with a different SLIPWAY_SECRET_KEY. Rotate it in the project's webhook settings.",
    );
  }
}

export async function hasWebhookSecret(db: Tx, projectId: string): Promise<boolean> {
  const [row] = await db
    .select({ encrypted: projectPipelineSettings.webhookSecretEncrypted })
    .from(projectPipelineSettings)
    .where(eq(projectPipelineSettings.projectId, projectId));
  return Boolean(row?.encrypted);
}

/**
 * Makes a new secret, replacing the old one at once (deliveries signed with
 * the old one are refused from now on), and returns it: the only time it
 * leaves Slipway. The audit event records that it changed, never the value.
 */
export async function rotateWebhookSecret(db: Database, key: Buffer, actor: Actor, projectId: string): Promise<string> {
  const project = await getProject(db, projectId);
  if (project.archivedAt) throw new NotFoundError("This project is archived; unarchive it to change its webhook.");
  const secret = generateWebhookSecret();
  const encrypted = encryptText(key, secret, context(projectId));
  await db.transaction(async (tx) => {
    const hadSecret = await hasWebhookSecret(tx, projectId);
    await tx
      .insert(projectPipelineSettings)
      .values({ projectId, webhookSecretEncrypted: encrypted })
      .onConflictDoUpdate({ target: projectPipelineSettings.projectId, set: { webhookSecretEncrypted: encrypted, updatedAt: new Date() } });
    await recordAudit(tx, actor, {
      action: "webhook.rotate_secret",
      objectType: "project",
      objectId: projectId,
      projectId,
      before: { secretSet: hadSecret },
      after: { secretSet: true },
    });
  });
  return secret;
}

/** The addresses to paste into GitHub (Payload URL) and GitLab (URL). */
export function webhookUrls(baseUrl: string, slug: string): { github: string; gitlab: string } {
  const base = baseUrl.replace(/\/$/, "");
  return { github: `${base}/api/webhooks/github/${slug}`, gitlab: `${base}/api/webhooks/gitlab/${slug}` };
}

/** Deliveries as people read them: newest first, the tag keys that deduplicate tag runs left out. */
export async function listDeliveries(db: Tx, projectId: string, limit = 20) {
  return db
    .select({
      provider: webhookDeliveries.provider,
      deliveryId: webhookDeliveries.deliveryId,
      event: webhookDeliveries.event,
      outcome: webhookDeliveries.outcome,
      reason: webhookDeliveries.reason,
      runId: webhookDeliveries.runId,
      runNumber: runs.number,
      receivedAt: webhookDeliveries.receivedAt,
    })
    .from(webhookDeliveries)
    .leftJoin(runs, eq(runs.id, webhookDeliveries.runId))
    .where(and(eq(webhookDeliveries.projectId, projectId), inArray(webhookDeliveries.provider, ["github", "gitlab"])))
    .orderBy(desc(webhookDeliveries.receivedAt))
    .limit(limit);
}

export async function webhookSettings(db: Database, projectId: string, baseUrl: string) {
  const project = await getProject(db, projectId);
  return {
    urls: webhookUrls(baseUrl, project.slug),
    secretSet: await hasWebhookSecret(db, projectId),
    deliveries: await listDeliveries(db, projectId),
  };
}

/** What the webhook routes hand the service: this installation's webhook key and data folder. */
export function webhookDeps(env: Record<string, string | undefined> = process.env): WebhookDeps {
  return { key: loadWebhookKey(env), dataDir: readSettings(env).dataDir };
}

/**
 * The body exactly as sent (signatures are computed over it), or null when it
 * is larger than any git host sends; read in pieces so a huge body is cut off
 * instead of held in memory.
 */
export async function readRawBody(request: Request, limit = MAX_WEBHOOK_BODY_BYTES): Promise<string | null> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) return null;
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
