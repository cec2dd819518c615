import { and, desc, eq, isNull } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { pipelineRevisions, projectPipelineSettings, secrets, webhookDeliveries, type Project, type Run, type RunEvent } from "@/db/schema";
import { matchTrigger, parsePipeline, type TriggerEvent } from "@/server/pipeline";
import type { Actor } from "./actor";
import { decryptText, loadSecretsKey } from "./crypto";
import { InvalidInputError, NotFoundError } from "./errors";
import {
  changedFiles,
  commitAuthorsBetween,
  commitInfo,
  ensureMirror,
  isZeroSha,
  mergeBase,
  readFileAtCommit,
  resolveRef,
  shortSha,
  type GitCredentials,
} from "./git";
import { createRun, type StartRunInput } from "./runs";

/**
 * Where a run's pipeline comes from, and the one path every git-driven trigger
 * (webhook, polling, schedule) takes to start a run: read the pipeline at the
 * commit, let its `on:` decide, then create the run.
 */
export const PIPELINE_FILE = ".slipway.yml";

/** The project has no pipeline to run: not a fault of the request, so triggers answer with the reason. */
export class PipelineNotFoundError extends NotFoundError {}

export type PipelineSettings = {
  source: "repository" | "slipway";
  pollIntervalSeconds: number;
  checkoutSecret: string | null;
  polledHeads: Record<string, string>;
};

/** A project without a settings row has the defaults: pipeline in the repository, no polling. */
export async function pipelineSettingsOf(db: Tx, projectId: string): Promise<PipelineSettings> {
  const [row] = await db.select().from(projectPipelineSettings).where(eq(projectPipelineSettings.projectId, projectId));
  return {
    source: row?.source ?? "repository",
    pollIntervalSeconds: row?.pollIntervalSeconds ?? 0,
    checkoutSecret: row?.checkoutSecret ?? null,
    polledHeads: row?.polledHeads ?? {},
  };
}

export type TriggerDeps = {
  /** The data folder: mirrors live in `<dataDir>/mirrors`. */
  dataDir: string;
  /** How to authenticate to the project's repository; by default its checkout secret. */
  credentialsFor?: (db: Database, project: Project) => Promise<GitCredentials | null>;
};

/**
 * The project's checkout secret (Settings → checkout secret names a project
 * secret) as git credentials: an ssh private key, or else an https token. The
 * context string must match secrets.ts, which encrypted it.
 */
export async function checkoutCredentials(db: Database, project: Project, key?: Buffer): Promise<GitCredentials | null> {
  const { checkoutSecret } = await pipelineSettingsOf(db, project.id);
  if (!checkoutSecret) return null;
  const [row] = await db
    .select({ encrypted: secrets.encrypted })
    .from(secrets)
    .where(and(eq(secrets.projectId, project.id), isNull(secrets.environmentId), eq(secrets.name, checkoutSecret)));
  if (!row) {
    throw new InvalidInputError(`The checkout secret "${checkoutSecret}" does not exist in ${project.name}: add it as a project secret, or clear the setting.`);
  }
  const value = decryptText(key ?? loadSecretsKey(), row.encrypted, `slipway:secret:${project.id}:project:${checkoutSecret}`);
  return value.includes("PRIVATE KEY-----") ? { kind: "ssh-key", privateKey: value } : { kind: "https-token", token: value.trim() };
}

/** The project's mirror, fetched now; `commits` are fetched too when no branch or tag holds them. */
export async function projectMirror(db: Database, deps: TriggerDeps, project: Project, commits: string[] = []): Promise<string> {
  const credentials = await (deps.credentialsFor ?? checkoutCredentials)(db, project);
  return ensureMirror({ dataDir: deps.dataDir, projectId: project.id, repositoryUrl: project.repositoryUrl, credentials, commits });
}

export type ResolvedPipeline = { yaml: string; revisionId: string | null; source: PipelineSettings["source"] };

/**
 * The pipeline a run at `sha` uses: `.slipway.yml` at that commit when the
 * project keeps it in the repository, else the latest revision saved in Slipway.
 * Pass `mirror` when the caller has fetched it already.
 */
export async function resolvePipeline(
  db: Database,
  { project, sha, dataDir, mirror, credentials }: { project: Project; sha: string; dataDir: string; mirror?: string; credentials?: GitCredentials | null },
): Promise<ResolvedPipeline> {
  const { source } = await pipelineSettingsOf(db, project.id);
  if (source === "slipway") {
    const [latest] = await db
      .select({ id: pipelineRevisions.id, yaml: pipelineRevisions.yaml })
      .from(pipelineRevisions)
      .where(eq(pipelineRevisions.projectId, project.id))
      .orderBy(desc(pipelineRevisions.number))
      .limit(1);
    if (!latest) {
      throw new PipelineNotFoundError(
        `${project.name} keeps its pipeline in Slipway, but none was saved yet: write one in the pipeline editor, or switch the source to ${PIPELINE_FILE} in the repository.`,
      );
    }
    return { yaml: latest.yaml, revisionId: latest.id, source };
  }
  const repo =
    mirror ??
    (await ensureMirror({ dataDir, projectId: project.id, repositoryUrl: project.repositoryUrl, credentials, commits: isZeroSha(sha) ? [] : [sha] }));
  const yaml = await readFileAtCommit(repo, sha, PIPELINE_FILE);
  if (yaml === null) {
    throw new PipelineNotFoundError(`No ${PIPELINE_FILE} at commit ${shortSha(sha)} in ${project.repositoryUrl}: add one, or edit the pipeline in Slipway.`);
  }
  return { yaml, revisionId: null, source };
}

/**
 * What a run records about its commit. Changed files and authors are left out
 * when `before` is gone from the repository (a force push): unknown changed
 * files never block a run, where a wrong list could.
 */
export async function describeCommit(mirror: string, sha: string, before?: string | null): Promise<Partial<RunEvent>> {
  const info = await commitInfo(mirror, sha);
  const event: Partial<RunEvent> = { message: info.message, author: { name: info.author.name, email: info.author.email } };
  try {
    event.changedFiles = await changedFiles(mirror, before, sha);
    event.commitAuthors = isZeroSha(before) ? [info.author.email.toLowerCase()] : await commitAuthorsBetween(mirror, before, sha);
  } catch {
    event.changedFiles = undefined;
    event.commitAuthors = [info.author.email.toLowerCase()];
  }
  return event;
}

export type CommitTrigger = {
  project: Project;
  actor: Actor;
  mirror: string;
  trigger: StartRunInput["trigger"];
  /** What the pipeline's `on:` is asked about. */
  match: TriggerEvent;
  event: RunEvent;
  secretsAllowed?: boolean;
};

export type TriggerOutcome =
  | { started: true; run: Run }
  | { started: false; reason: string; invalid?: boolean }
  /** The same change reached Slipway twice (GitHub reports a new tag as create and as push). */
  | { started: false; reason: string; duplicate: true };

/** Reads the pipeline at the commit, asks its `on:` whether this event runs it, and starts the run if so. */
export async function startFromCommit(db: Database, deps: TriggerDeps, t: CommitTrigger): Promise<TriggerOutcome> {
  let pipeline: ResolvedPipeline;
  try {
    pipeline = await resolvePipeline(db, { project: t.project, sha: t.event.sha, dataDir: deps.dataDir, mirror: t.mirror });
  } catch (error) {
    if (error instanceof PipelineNotFoundError) return { started: false, reason: error.message };
    throw error;
  }
  const parsed = parsePipeline(pipeline.yaml);
  if (!parsed.ok) {
    const first = parsed.errors[0];
    const where = pipeline.source === "slipway" ? "saved in Slipway" : `at ${shortSha(t.event.sha)}`;
    const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : "";
    return { started: false, invalid: true, reason: `The pipeline ${where} does not validate: line ${first.line}:${first.column}: ${first.message}${more}` };
  }
  const decision = matchTrigger(parsed.pipeline.on, t.match);
  if (!decision.run) return { started: false, reason: decision.reason };
  try {
    const run = await createRun(db, t.actor, {
      projectId: t.project.id,
      trigger: t.trigger,
      triggeredBy: null,
      event: t.event,
      secretsAllowed: t.secretsAllowed ?? true,
      pipeline: { yaml: pipeline.yaml, revisionId: pipeline.revisionId },
    });
    return { started: true, run };
  } catch (error) {
    if (error instanceof InvalidInputError) return { started: false, invalid: true, reason: error.message };
    throw error;
  }
}

/** A branch moved from `before` to `sha` (a push webhook, or polling saw it): run the pipeline if its `on.push` says so. */
export async function startBranchPush(
  db: Database,
  deps: TriggerDeps,
  p: { project: Project; actor: Actor; mirror: string; trigger: "push" | "poll"; branch: string; before?: string | null; sha: string; deliveryId?: string },
): Promise<TriggerOutcome> {
  const described = await describeCommit(p.mirror, p.sha, p.before);
  const event: RunEvent = {
    ...described,
    sha: p.sha,
    ref: `refs/heads/${p.branch}`,
    branch: p.branch,
    ...(isZeroSha(p.before) ? {} : { before: p.before! }),
    ...(p.deliveryId ? { deliveryId: p.deliveryId } : {}),
  };
  return startFromCommit(db, deps, {
    project: p.project,
    actor: p.actor,
    mirror: p.mirror,
    trigger: p.trigger,
    match: { type: "push", branch: p.branch, changedFiles: described.changedFiles },
    event,
  });
}

type Origin = { project: Project; actor: Actor; deliveryId?: string };

/**
 * A tag was pushed (`pushed` is what the host reported, a tag object or a
 * commit; null when it did not say). GitHub reports a new tag twice, as
 * create and as push: a key per tag and commit in the deliveries table lets
 * only the first start a run, even when both arrive at the same moment.
 */
export async function startTagPush(db: Database, deps: TriggerDeps, p: Origin & { tag: string; pushed: string | null }): Promise<TriggerOutcome> {
  const mirror = await projectMirror(db, deps, p.project, p.pushed ? [p.pushed] : []);
  const sha = await resolveRef(mirror, p.pushed ?? `refs/tags/${p.tag}`);
  if (!sha) return { started: false, reason: `Tag "${p.tag}" is not in the repository any more; nothing to run.` };
  const key = and(eq(webhookDeliveries.provider, "tag"), eq(webhookDeliveries.deliveryId, `${p.project.id}:${p.tag}@${sha}`));
  const [claimed] = await db
    .insert(webhookDeliveries)
    .values({ provider: "tag", deliveryId: `${p.project.id}:${p.tag}@${sha}`, projectId: p.project.id, event: "tag", outcome: "processing" })
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.deliveryId });
  if (!claimed) {
    return { started: false, duplicate: true, reason: `Tag "${p.tag}" at ${shortSha(sha)} was already received (GitHub sends create and push for one tag): duplicate delivery, nothing started.` };
  }
  try {
    const info = await commitInfo(mirror, sha);
    const outcome = await startFromCommit(db, deps, {
      project: p.project,
      actor: p.actor,
      mirror,
      trigger: "tag",
      match: { type: "push", tag: p.tag },
      event: { sha, ref: `refs/tags/${p.tag}`, tag: p.tag, message: info.message, author: info.author, ...(p.deliveryId ? { deliveryId: p.deliveryId } : {}) },
    });
    if (outcome.started) await db.update(webhookDeliveries).set({ outcome: "accepted", runId: outcome.run.id }).where(key);
    else await db.delete(webhookDeliveries).where(key);
    return outcome;
  } catch (error) {
    // Only a started run holds the key; otherwise the other report of this tag gets its chance.
    await db.delete(webhookDeliveries).where(key);
    throw error;
  }
}

type PullRequestSide = { ref: string; sha: string; repository: string | null };

/**
 * A pull request was opened or updated. Its changes are measured from where
 * it left the base branch; one from another repository (a fork) runs without
 * secrets, since its author controls the pipeline file it runs.
 */
export async function startPullRequest(
  db: Database,
  deps: TriggerDeps,
  p: Origin & { number: number; title: string; username?: string; head: PullRequestSide; base: PullRequestSide },
): Promise<TriggerOutcome> {
  // A deleted fork has no repository any more: treat it as a fork.
  const fromFork = !p.head.repository || !p.base.repository || p.head.repository !== p.base.repository;
  const mirror = await projectMirror(db, deps, p.project, [p.head.sha, p.base.sha]);
  const since = await mergeBase(mirror, p.base.sha, p.head.sha);
  const files = since ? await changedFiles(mirror, since, p.head.sha) : undefined;
  const info = await commitInfo(mirror, p.head.sha);
  return startFromCommit(db, deps, {
    project: p.project,
    actor: p.actor,
    mirror,
    trigger: "pull_request",
    match: { type: "pull_request", baseBranch: p.base.ref, headBranch: p.head.ref, changedFiles: files },
    // No `branch`: a fork's "main" is not this repository's main, and branch rules must not take it for it.
    event: {
      sha: p.head.sha,
      ref: `refs/pull/${p.number}/head`,
      message: info.message,
      author: { ...info.author, ...(p.username ? { username: p.username } : {}) },
      commitAuthors: since ? await commitAuthorsBetween(mirror, since, p.head.sha) : [info.author.email.toLowerCase()],
      pullRequest: { number: p.number, title: p.title, fromFork, headRef: p.head.ref, baseRef: p.base.ref },
      changedFiles: files,
      ...(p.deliveryId ? { deliveryId: p.deliveryId } : {}),
    },
    secretsAllowed: !fromFork,
  });
}
