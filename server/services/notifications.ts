import { randomBytes, randomUUID } from "node:crypto";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { and, asc, desc, eq, inArray, lte, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { notificationDeliveries, notificationHooks, projects, type NotificationHook, type User } from "@/db/schema";
import {
  HOOK_EVENTS,
  hookBody,
  hookUrlProblem,
  MAX_ATTEMPTS,
  privateAddressReason,
  retryable,
  retryDelay,
  signBody,
  type HookFormat,
  type NotificationEvent,
} from "@/server/governance/webhooks";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { decryptText, encryptText } from "./crypto";
import { ForbiddenError, InvalidInputError, NotFoundError } from "./errors";

/**
 * Outgoing webhooks per project: hooks (generic JSON, Slack, Teams; HMAC-signed), events
 * recorded as deliveries in the transaction that caused them, and a delivery loop on every
 * worker that sends them, retries with backoff and keeps the log. Destinations in private or
 * loopback ranges are refused, when the hook is saved and again at every connection (DNS can
 * change), unless a site administrator allowed them for that hook.
 */

export const NOTIFICATIONS_CHANNEL = "slipway_notifications";

type HookInput = { projectId: string; name: string; url: string; format: HookFormat; events: string[]; allowPrivate?: boolean };

const eventPattern = (e: string) => e === "*" || (HOOK_EVENTS as readonly string[]).includes(e) || (e.endsWith(".*") && HOOK_EVENTS.some((h) => h.startsWith(e.slice(0, -1))));

function lookupAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
}

/** Why the URL's host may not receive webhooks (it is or resolves to a private address), or null. A name that does not resolve now is let through: sending checks again. */
async function destinationProblem(url: string): Promise<string | null> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [host] : await lookupAll(host).then((a) => a.map((x) => x.address), () => []);
  for (const address of addresses) {
    const reason = privateAddressReason(address);
    if (reason) return `${host} is ${address === host ? "" : `at ${address}, `}${reason}; webhooks to private or loopback addresses are refused unless a Slipway administrator allows them for this hook.`;
  }
  return null;
}

export async function createHook(db: Database, key: Buffer, actor: Actor, user: User, input: HookInput) {
  const name = input.name.trim();
  if (!name) throw new InvalidInputError("Name the webhook.", "name");
  const urlProblem = hookUrlProblem(input.url);
  if (urlProblem) throw new InvalidInputError(urlProblem, "url");
  const events = [...new Set(input.events.map((e) => e.trim()).filter(Boolean))];
  if (events.length === 0) throw new InvalidInputError("Choose at least one event.", "events");
  const unknown = events.filter((e) => !eventPattern(e));
  if (unknown.length) throw new InvalidInputError(`Unknown event ${unknown.join(", ")}; events are ${HOOK_EVENTS.join(", ")} (or a prefix such as approval.*).`, "events");
  if (input.allowPrivate && !user.isAdmin) throw new ForbiddenError("Only a Slipway administrator may allow webhooks to private or loopback addresses.");
  if (!input.allowPrivate) {
    const problem = await destinationProblem(input.url);
    if (problem) throw new InvalidInputError(problem, "url");
  }
  const id = randomUUID();
  const secret = randomBytes(24).toString("base64url");
  return db.transaction(async (tx) => {
    const [hook] = await tx
      .insert(notificationHooks)
      .values({ id, projectId: input.projectId, name, url: input.url, format: input.format, events, secretEncrypted: encryptText(key, secret, `hook:${id}`), allowPrivate: !!input.allowPrivate, createdBy: actor.userId })
      .returning();
    await recordAudit(tx, actor, { action: "notification_hook.create", objectType: "notification_hook", objectId: id, projectId: input.projectId, after: { name, url: input.url, format: input.format, events, allowPrivate: !!input.allowPrivate } });
    const { secretEncrypted: _s, ...shown } = hook;
    // The signing secret is shown this once.
    return { hook: shown, secret };
  });
}

export async function listHooks(db: Tx, projectId: string) {
  const rows = await db.select().from(notificationHooks).where(eq(notificationHooks.projectId, projectId)).orderBy(asc(notificationHooks.createdAt));
  return rows.map(({ secretEncrypted: _s, ...hook }) => hook);
}

export async function deleteHook(db: Database, actor: Actor, input: { projectId: string; hookId: string }) {
  return db.transaction(async (tx) => {
    const [row] = await tx.delete(notificationHooks).where(and(eq(notificationHooks.id, input.hookId), eq(notificationHooks.projectId, input.projectId))).returning();
    if (!row) throw new NotFoundError("This webhook does not exist in this project.", "hookId");
    await recordAudit(tx, actor, { action: "notification_hook.delete", objectType: "notification_hook", objectId: row.id, projectId: input.projectId, before: { name: row.name, url: row.url, events: row.events } });
    return { id: row.id };
  });
}

/** A hook's delivery log, newest first. */
export async function listDeliveries(db: Tx, input: { projectId: string; hookId: string; limit?: number }) {
  const [hook] = await db.select({ id: notificationHooks.id }).from(notificationHooks).where(and(eq(notificationHooks.id, input.hookId), eq(notificationHooks.projectId, input.projectId)));
  if (!hook) throw new NotFoundError("This webhook does not exist in this project.", "hookId");
  return db.select().from(notificationDeliveries).where(eq(notificationDeliveries.hookId, hook.id)).orderBy(desc(notificationDeliveries.id)).limit(input.limit ?? 50);
}

/** `path` is where the link points, under SLIPWAY_URL; `{slug}` in it becomes the project's slug. */
export type Notice = { projectId: string; event: string; summary: string; path?: string | null; data?: Record<string, unknown> };

/**
 * Records the event for every enabled hook of the project that wants it, in the caller's
 * transaction (so an event is sent only if what caused it committed), and wakes the senders.
 * One statement, which finds nothing and writes nothing for a project without hooks: run and
 * deployment endings call this on the engine's path.
 */
export async function emitNotification(tx: Tx, notice: Notice, now = new Date()): Promise<number> {
  const prefix = `${notice.event.split(".")[0]}.*`;
  const inserted = await tx.execute<{ id: number }>(sql`
    insert into ${notificationDeliveries} (hook_id, event, payload)
    select h.id, ${notice.event}, jsonb_build_object(
      'event', ${notice.event}::text, 'summary', ${notice.summary}::text, 'path', replace(${notice.path ?? null}::text, '{slug}', p.slug),
      'project', jsonb_build_object('id', p.id, 'slug', p.slug, 'name', p.name), 'data', ${JSON.stringify(notice.data ?? {})}::jsonb, 'at', ${now.toISOString()}::text)
    from ${notificationHooks} h join ${projects} p on p.id = h.project_id
    where h.project_id = ${notice.projectId} and h.enabled and h.events && array[${notice.event}, ${prefix}, '*']::text[]
    returning id`);
  if (inserted.length) await tx.execute(sql`select pg_notify(${NOTIFICATIONS_CHANNEL}, ${notice.projectId})`);
  return inserted.length;
}

// ---- Sending ------------------------------------------------------------------------------

export type SendResult = { status: number | null; error: string | null };

/** POSTs the body, connecting only to public addresses unless the hook allows private ones (checked at connect time, so DNS cannot move it). */
export function postJson(url: string, body: string, headers: Record<string, string>, { allowPrivate, timeoutMs = 10_000 }: { allowPrivate: boolean; timeoutMs?: number }): Promise<SendResult> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (!allowPrivate && isIP(host)) {
    const reason = privateAddressReason(host);
    if (reason) return Promise.resolve({ status: null, error: `Refused: ${host} is ${reason}.` });
  }
  const lookup: typeof dnsLookup = ((hostname: string, options: object, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "");
      const list = addresses as LookupAddress[];
      const bad = allowPrivate ? null : list.map((a) => ({ a, reason: privateAddressReason(a.address) })).find((x) => x.reason);
      if (bad) return callback(Object.assign(new Error(`Refused: ${hostname} is at ${bad.a.address}, ${bad.reason}.`), { code: "EPRIVATE" }), "");
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  }) as typeof dnsLookup;
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const request = client.request(
      target,
      { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body).toString(), "user-agent": "Slipway-Webhook/1", ...headers }, lookup, timeout: timeoutMs },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (text.length < 500) text += chunk;
        });
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          resolve({ status, error: status >= 200 && status < 300 ? null : `HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ""}` });
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`No answer within ${timeoutMs / 1000} s`)));
    request.on("error", (error) => resolve({ status: null, error: error.message }));
    request.end(body);
  });
}

export type DeliverOptions = { key: Buffer; baseUrl: string; now?: Date; limit?: number; send?: typeof postJson };

/**
 * Sends what is due: claims deliveries (skipping those another worker holds), posts each, and
 * records the outcome: delivered, tried again later with backoff, or failed for good.
 */
export async function deliverDue(db: Database, options: DeliverOptions): Promise<{ delivered: number; failed: number; retrying: number }> {
  const now = options.now ?? new Date();
  const send = options.send ?? postJson;
  // Claim: move the due ones a minute ahead, so another worker's loop leaves them alone while this one sends.
  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: notificationDeliveries.id })
      .from(notificationDeliveries)
      .where(and(eq(notificationDeliveries.status, "pending"), lte(notificationDeliveries.nextAttemptAt, now)))
      .orderBy(asc(notificationDeliveries.nextAttemptAt))
      .limit(options.limit ?? 20)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(notificationDeliveries)
      .set({ nextAttemptAt: new Date(now.getTime() + 60_000), attempts: sql`${notificationDeliveries.attempts} + 1` })
      .where(inArray(notificationDeliveries.id, due.map((d) => d.id)))
      .returning();
  });
  const tally = { delivered: 0, failed: 0, retrying: 0 };
  if (claimed.length === 0) return tally;
  const hooks = await db.select().from(notificationHooks).where(inArray(notificationHooks.id, [...new Set(claimed.map((c) => c.hookId))]));
  for (const delivery of claimed) {
    const hook = hooks.find((h) => h.id === delivery.hookId) as NotificationHook;
    const payload = delivery.payload as Omit<NotificationEvent, "url"> & { path: string | null };
    const event: NotificationEvent = { ...payload, url: payload.path ? `${options.baseUrl}${payload.path}` : null };
    const body = JSON.stringify(hookBody(hook.format, event));
    const timestamp = Math.floor(now.getTime() / 1000);
    let result: SendResult;
    try {
      const secret = decryptText(options.key, hook.secretEncrypted, `hook:${hook.id}`);
      result = await send(hook.url, body, { "x-slipway-event": delivery.event, "x-slipway-delivery": String(delivery.id), "x-slipway-timestamp": String(timestamp), "x-slipway-signature": signBody(secret, timestamp, body) }, { allowPrivate: hook.allowPrivate });
    } catch (error) {
      result = { status: null, error: (error as Error).message };
    }
    const refused = result.error?.startsWith("Refused:") ?? false;
    const delay = !result.error ? null : refused || !retryable(result.status) ? null : retryDelay(delivery.attempts);
    const status = !result.error ? "delivered" : delay === null ? "failed" : "pending";
    await db
      .update(notificationDeliveries)
      .set({
        status,
        responseStatus: result.status,
        error: result.error,
        deliveredAt: status === "delivered" ? now : null,
        nextAttemptAt: delay === null ? now : new Date(now.getTime() + delay * 1000),
      })
      .where(eq(notificationDeliveries.id, delivery.id));
    if (status === "delivered") tally.delivered++;
    else if (status === "failed") tally.failed++;
    else tally.retrying++;
  }
  return tally;
}

export { MAX_ATTEMPTS };
