import { z } from "zod";
import { projectIdInput } from "./project";

/**
 * The parts of GitHub's and GitLab's webhook payloads Slipway reads. Only
 * these fields are checked; everything else in a payload is ignored, so new
 * fields the hosts add do not break deliveries.
 */
const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "a commit id");
const nullableLogin = z.object({ login: z.string() }).partial().nullish();

export const githubPushPayload = z.object({
  ref: z.string(),
  before: sha.nullish(),
  after: sha,
  deleted: z.boolean().optional(),
  sender: nullableLogin,
  pusher: z.object({ name: z.string().nullish() }).nullish(),
});

const githubRepo = z.object({ id: z.number().optional(), full_name: z.string() }).nullish();

export const githubPullRequestPayload = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  sender: nullableLogin,
  pull_request: z.object({
    title: z.string(),
    head: z.object({ ref: z.string(), sha, repo: githubRepo }),
    base: z.object({ ref: z.string(), sha, repo: githubRepo }),
  }),
});

export const githubCreatePayload = z.object({
  ref: z.string(),
  ref_type: z.string(),
  sender: nullableLogin,
});

/** GitLab's Push Hook and Tag Push Hook share this shape; `after` is zeros when a branch or tag was deleted. */
export const gitlabPushPayload = z.object({
  object_kind: z.enum(["push", "tag_push"]),
  ref: z.string(),
  before: sha.nullish(),
  after: sha,
  checkout_sha: sha.nullish(),
  user_username: z.string().nullish(),
});

export const webhookSettingsInput = projectIdInput;
export const rotateWebhookSecretInput = projectIdInput;

/** GitHub's limit for a delivery; a larger body is not one of theirs. */
export const MAX_WEBHOOK_BODY_BYTES = 25 * 1024 * 1024;
