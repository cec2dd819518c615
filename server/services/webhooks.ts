import { createHash, timingSafeEqual } from "node:crypto";
import { verify } from "@octokit/webhooks-methods";
import { and, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database } from "@/db/client";
import { webhookDeliveries, type Project } from "@/db/schema";
import { githubCreatePayload, githubPullRequestPayload, githubPushPayload, gitlabPushPayload } from "@/server/schemas/webhook";
import type { Actor } from "./actor";
import { DecryptionError } from "./crypto";
import { isZeroSha } from "./git";
import { projectMirror, startBranchPush, startPullRequest, startTagPush, type TriggerDeps, type TriggerOutcome } from "./pipeline-source";
import { findProjectBySlug } from "./projects";
import { requestScheduleSync } from "./schedules";
import { readWebhookSecret } from "./webhook-secrets";

/**
 * Webhook deliveries from GitHub and GitLab: authenticate, record each
 * delivery once (a replayed delivery id starts nothing), and start a run when
 * the pipeline's `on:` says so. Route handlers pass the raw request through.
 */
export type WebhookDeps = TriggerDeps & { key: Buffer };
export type Provider = "github" | "gitlab";
export type Outcome = "accepted" | "ignored" | "refused" | "duplicate" | "failed";
export type WebhookResult = { status: number; body: { outcome: Outcome; message: string; runId?: string; runNumber?: number } };

export type GithubDelivery = {
  slug: string;
  event: string | null;
  deliveryId: string | null;
  signature: string | null;
  contentType?: string | null;
  rawBody: string;
  ip?: string | null;
};

export type GitlabDelivery = { slug: string; event: string | null; eventUuid: string | null; token: string | null; rawBody: string; ip?: string | null };

type Verdict = { outcome: Outcome; message: string; status: number; runId?: string; runNumber?: number };
type Ctx = { db: Database; deps: WebhookDeps; project: Project; provider: Provider; deliveryId: string; actor: Actor };

const reply = ({ status, outcome, message, runId, runNumber }: Verdict): WebhookResult => ({
  status,
  body: { outcome, message, ...(runId ? { runId, runNumber } : {}) },
});
const ignored = (message: string, status = 202): Verdict => ({ outcome: "ignored", message, status });

export async function handleGithubDelivery(db: Database, d: GithubDelivery, deps: WebhookDeps): Promise<WebhookResult> {
  const event = (d.event ?? "unknown").slice(0, 100);
  return receive(db, deps, {
    provider: "github",
    slug: d.slug,
    event,
    deliveryId: d.deliveryId,
    rawBody: d.rawBody,
    actorLabel: "GitHub webhook",
    ip: d.ip ?? null,
    authenticate: async (secret) => {
      if (!d.rawBody) return "The delivery has no body.";
      if (!d.signature?.startsWith("sha256=")) return "The delivery has no X-Hub-Signature-256 header: set the webhook's secret in GitHub.";
      return (await verify(secret, d.rawBody, d.signature)) ? null : "The X-Hub-Signature-256 signature does not match this project's webhook secret.";
    },
    process: (ctx) => githubEvent(ctx, event, githubJson(d.rawBody, d.contentType)),
  });
}

export async function handleGitlabDelivery(db: Database, d: GitlabDelivery, deps: WebhookDeps): Promise<WebhookResult> {
  const event = (d.event ?? "unknown").slice(0, 100);
  return receive(db, deps, {
    provider: "gitlab",
    slug: d.slug,
    event,
    deliveryId: d.eventUuid,
    rawBody: d.rawBody,
    actorLabel: "GitLab webhook",
    ip: d.ip ?? null,
    authenticate: async (secret) => {
      if (!d.token) return "The delivery has no X-Gitlab-Token header: set the webhook's secret token in GitLab.";
      return sameSecret(d.token, secret) ? null : "The X-Gitlab-Token does not match this project's webhook secret.";
    },
    process: (ctx) => gitlabEvent(ctx, event, JSON.parse(d.rawBody)),
  });
}

type Receive = {
  provider: Provider;
  slug: string;
  event: string;
  deliveryId: string | null;
  rawBody: string;
  actorLabel: string;
  ip: string | null;
  /** null when the delivery is authentic, else why not. */
  authenticate: (secret: string) => Promise<string | null>;
  process: (ctx: Ctx) => Promise<Verdict>;
};

async function receive(db: Database, deps: WebhookDeps, r: Receive): Promise<WebhookResult> {
  const project = await findProjectBySlug(db, r.slug);
  if (!project) return reply({ status: 404, outcome: "refused", message: `There is no project "${r.slug}" in this Slipway.` });
  const deliveryId = deliveryIdOf(r, project);
  const record = { db, provider: r.provider, deliveryId, projectId: project.id, event: r.event };
  let secret: string | null;
  try {
    secret = await readWebhookSecret(db, deps.key, project.id);
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    return reply(await refuse(record, error.message));
  }
  if (!secret) return reply(await refuse(record, "This project has no webhook secret yet: create one in its settings (Webhooks), then set it in the git host."));
  const problem = await r.authenticate(secret);
  if (problem) return reply(await refuse(record, problem));

  if (!(await claimDelivery(record))) {
    return reply({ status: 200, outcome: "duplicate", message: `Delivery ${deliveryId} was received before: duplicate delivery, nothing started.` });
  }
  let verdict: Verdict;
  try {
    if (project.archivedAt) verdict = ignored(`${project.name} is archived: unarchive it to run its pipeline again.`);
    else {
      const actor: Actor = { userId: null, label: r.actorLabel, ip: r.ip, via: `webhook:${r.provider}` };
      verdict = await r.process({ db, deps, project, provider: r.provider, deliveryId, actor });
    }
  } catch (error) {
    if (!(error instanceof SyntaxError)) console.error(`[webhooks] ${r.provider} delivery ${deliveryId} for ${project.slug} failed:`, error);
    const message = error instanceof SyntaxError ? `The body could not be read: ${error.message}` : `Slipway could not handle this delivery: ${(error as Error).message}`;
    verdict = { outcome: "failed", message, status: error instanceof SyntaxError ? 400 : 500 };
  }
  await finishDelivery(record, verdict);
  return reply(verdict);
}

/** Deliveries without an id are told apart by their body; GitLab's event id is shared by every hook of one event, so it is kept per project. */
function deliveryIdOf(r: Receive, project: Project): string {
  const given = r.deliveryId?.trim();
  if (given && /^[\w.:-]{1,120}$/.test(given)) return r.provider === "gitlab" ? `${given}:${project.id}` : given;
  return `sha256:${createHash("sha256").update(`${project.id}\n${r.rawBody}`).digest("hex")}`;
}

/** Both sides hashed first, so the comparison takes the same time whatever the lengths. */
function sameSecret(given: string, secret: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** GitHub sends JSON, or `payload=<json>` when the hook's content type is form-encoded. */
function githubJson(rawBody: string, contentType?: string | null): unknown {
  if (contentType?.includes("application/x-www-form-urlencoded")) return JSON.parse(new URLSearchParams(rawBody).get("payload") ?? "");
  return JSON.parse(rawBody);
}

type DeliveryRef = { db: Database; provider: string; deliveryId: string; projectId: string; event: string };

/**
 * Claims the delivery id, so one delivery starts at most one run even when it
 * arrives twice at once. A refused or failed delivery may be claimed again
 * (the host's "Redeliver" resends the same id), as may one whose handler died.
 */
async function claimDelivery({ db, provider, deliveryId, projectId, event }: DeliveryRef): Promise<boolean> {
  const claimed = await db
    .insert(webhookDeliveries)
    .values({ provider, deliveryId, projectId, event, outcome: "processing" })
    .onConflictDoUpdate({
      target: [webhookDeliveries.provider, webhookDeliveries.deliveryId],
      set: { projectId, event, outcome: "processing", reason: "", runId: null, receivedAt: new Date() },
      setWhere: sql`${webhookDeliveries.outcome} in ('refused', 'failed') or (${webhookDeliveries.outcome} = 'processing' and ${webhookDeliveries.receivedAt} < now() - interval '10 minutes')`,
    })
    .returning({ id: webhookDeliveries.deliveryId });
  return claimed.length > 0;
}

async function finishDelivery({ db, provider, deliveryId }: DeliveryRef, verdict: Verdict) {
  await db
    .update(webhookDeliveries)
    .set({ outcome: verdict.outcome, reason: verdict.message, runId: verdict.runId ?? null })
    .where(and(eq(webhookDeliveries.provider, provider), eq(webhookDeliveries.deliveryId, deliveryId)));
}

/**
 * Records a refused delivery without taking its id: a forged request must not
 * block the genuine delivery that carries the same id, so when the id is
 * taken the refusal is kept under a suffixed one.
 */
async function refuse(record: DeliveryRef, message: string): Promise<Verdict> {
  const { db, provider, deliveryId, projectId, event } = record;
  const verdict: Verdict = { outcome: "refused", message, status: 401 };
  // Anyone can send bad signatures: past a few a minute, refusals are answered but not stored.
  const [{ recent }] = await db
    .select({ recent: sql<number>`count(*)::int` })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.projectId, projectId), eq(webhookDeliveries.outcome, "refused"), sql`${webhookDeliveries.receivedAt} > now() - interval '1 minute'`));
  if (recent >= MAX_REFUSALS_PER_MINUTE) return verdict;
  const row = { provider, projectId, event, outcome: "refused", reason: message };
  const [kept] = await db.insert(webhookDeliveries).values({ ...row, deliveryId }).onConflictDoNothing().returning({ id: webhookDeliveries.deliveryId });
  if (!kept) await db.insert(webhookDeliveries).values({ ...row, deliveryId: `${deliveryId}~refused-${Date.now().toString(36)}` }).onConflictDoNothing();
  return verdict;
}

const PR_ACTIONS = ["opened", "synchronize", "reopened"];
const MAX_REFUSALS_PER_MINUTE = 30;

const triggerOf = (ctx: Ctx) => ({ project: ctx.project, actor: ctx.actor, deliveryId: ctx.deliveryId });

function fromOutcome(outcome: TriggerOutcome): Verdict {
  if ("duplicate" in outcome && outcome.duplicate) return { outcome: "duplicate", status: 200, message: outcome.reason };
  if (outcome.started) {
    const { run } = outcome;
    return { outcome: "accepted", status: 201, message: `Run #${run.number} started.`, runId: run.id, runNumber: run.number };
  }
  return "invalid" in outcome && outcome.invalid ? { outcome: "ignored", status: 422, message: outcome.reason } : ignored(outcome.reason);
}

function parse<S extends z.ZodType>(schema: S, payload: unknown, what: string): z.output<S> {
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SyntaxError(`The ${what} payload is not one Slipway understands: ${issue.path.join(".")}: ${issue.message}`);
  }
  return result.data;
}

async function githubEvent(ctx: Ctx, event: string, payload: unknown): Promise<Verdict> {
  switch (event) {
    case "ping":
      return { outcome: "accepted", status: 200, message: "pong: the webhook reaches Slipway and its signature matches." };
    case "push": {
      const p = parse(githubPushPayload, payload, "push");
      const actor = p.sender?.login ? { ...ctx.actor, label: `GitHub webhook (${p.sender.login})` } : ctx.actor;
      return refPush({ ...ctx, actor }, { ref: p.ref, before: p.before, after: p.after, deleted: p.deleted });
    }
    case "pull_request": {
      const p = parse(githubPullRequestPayload, payload, "pull_request");
      if (!PR_ACTIONS.includes(p.action)) return ignored(`Pull request action "${p.action}" does not start runs; opened, synchronize and reopened do.`);
      const { head, base, title } = p.pull_request;
      const login = p.sender?.login;
      return fromOutcome(
        await startPullRequest(ctx.db, ctx.deps, {
          ...triggerOf(ctx),
          actor: login ? { ...ctx.actor, label: `GitHub webhook (${login})` } : ctx.actor,
          number: p.number,
          title,
          username: login ?? undefined,
          head: { ref: head.ref, sha: head.sha, repository: head.repo?.full_name ?? null },
          base: { ref: base.ref, sha: base.sha, repository: base.repo?.full_name ?? null },
        }),
      );
    }
    case "create": {
      const p = parse(githubCreatePayload, payload, "create");
      if (p.ref_type !== "tag") return ignored(`A new ${p.ref_type} also arrives as a push event; Slipway uses create events only for tags.`);
      return fromOutcome(await startTagPush(ctx.db, ctx.deps, { ...triggerOf(ctx), tag: p.ref, pushed: null }));
    }
    default:
      return ignored(`Slipway does not act on "${event}" events; send push, pull_request and create (tags).`);
  }
}

async function gitlabEvent(ctx: Ctx, event: string, payload: unknown): Promise<Verdict> {
  if (event !== "Push Hook" && event !== "Tag Push Hook") return ignored(`Slipway does not act on "${event}" events; enable Push events and Tag push events.`);
  const p = parse(gitlabPushPayload, payload, event);
  const actor = p.user_username ? { ...ctx.actor, label: `GitLab webhook (${p.user_username})` } : ctx.actor;
  return refPush({ ...ctx, actor }, { ref: p.ref, before: p.before, after: p.checkout_sha ?? p.after, deleted: isZeroSha(p.after) });
}

async function refPush(ctx: Ctx, push: { ref: string; before?: string | null; after: string; deleted?: boolean }): Promise<Verdict> {
  const branch = push.ref.startsWith("refs/heads/") ? push.ref.slice("refs/heads/".length) : null;
  const tag = push.ref.startsWith("refs/tags/") ? push.ref.slice("refs/tags/".length) : null;
  if (push.deleted || isZeroSha(push.after)) return ignored(`${branch ? `Branch "${branch}"` : tag ? `Tag "${tag}"` : push.ref} was deleted; nothing to run.`);
  if (tag) return fromOutcome(await startTagPush(ctx.db, ctx.deps, { ...triggerOf(ctx), tag, pushed: push.after }));
  if (!branch) return ignored(`Pushes to ${push.ref} do not start runs; only branches and tags do.`);
  const mirror = await projectMirror(ctx.db, ctx.deps, ctx.project, [push.after]);
  const outcome = await startBranchPush(ctx.db, ctx.deps, {
    project: ctx.project,
    actor: ctx.actor,
    mirror,
    trigger: "push",
    branch,
    before: push.before,
    sha: push.after,
    deliveryId: ctx.deliveryId,
  });
  // Schedules are read from the default branch: a push there may have changed them. A request
  // that fails to send is not the push's problem: the workers' five-minute reconcile catches up.
  if (branch === ctx.project.defaultBranch) await requestScheduleSync(ctx.db, ctx.project.id).catch(() => undefined);
  return fromOutcome(outcome);
}
