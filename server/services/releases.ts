import { stat } from "node:fs/promises";
import path from "node:path";
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { artifacts, deployments, environments, releases, runs, type Release, type ReleaseChanges, type RunEvent } from "@/db/schema";
import { versionLabelSchema } from "@/server/schemas/release";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { changedFiles, commitAuthorsBetween, commitsBetween, shortSha } from "./git";
import { isUniqueViolation } from "./pg-errors";

/**
 * Releases: the immutable output of a run. Nothing here updates a release; the migration's
 * trigger refuses it too. Where a release is deployed is derived from deployments.
 */

export type NewRelease = {
  projectId: string;
  /** Generated from the run number (1.0.<n>) or the commit when absent. */
  version?: string;
  image?: string | null;
  imageDigest?: string | null;
  artifactName?: string | null;
  artifactDigest?: string | null;
  commitSha: string;
  runId?: string | null;
  runNumber?: number | null;
  pipelineRevisionId?: string | null;
  notes?: string;
  changes?: ReleaseChanges;
};

const NO_CHANGES: ReleaseChanges = { previousReleaseId: null, previousVersion: null, fromSha: null, authors: [], files: [], source: "none" };

export async function createRelease(db: Database, actor: Actor, input: NewRelease): Promise<Release> {
  if (!input.image && !input.artifactName) throw new InvalidInputError("A release needs an image (docker, kubernetes) or an artifact (local).", "image");
  const version = parseVersion(input.version ?? (input.runNumber ? `1.0.${input.runNumber}` : shortSha(input.commitSha)));
  try {
    return await db.transaction(async (tx) => {
      // One release at a time per project gets its number.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`slipway:releases:${input.projectId}`}))`);
      const [existing] = await tx.select().from(releases).where(and(eq(releases.projectId, input.projectId), eq(releases.version, version)));
      // A retried deploy job of the same run asks again for the release it already made.
      if (existing && input.runId && existing.runId === input.runId) return existing;
      if (existing) throw versionTaken(version);
      const [{ next }] = await tx
        .select({ next: sql<number>`coalesce(max(${releases.number}), 0)::int + 1` })
        .from(releases)
        .where(eq(releases.projectId, input.projectId));
      const [release] = await tx
        .insert(releases)
        .values({
          projectId: input.projectId,
          number: next,
          version,
          image: input.image ?? null,
          imageDigest: input.imageDigest ?? null,
          artifactName: input.artifactName ?? null,
          artifactDigest: input.artifactDigest ?? null,
          commitSha: input.commitSha,
          runId: input.runId ?? null,
          pipelineRevisionId: input.pipelineRevisionId ?? null,
          notes: input.notes ?? "",
          changes: input.changes ?? NO_CHANGES,
          createdBy: actor.userId,
        })
        .returning();
      await recordAudit(tx, actor, {
        action: "release.create",
        objectType: "release",
        objectId: release.id,
        projectId: input.projectId,
        after: { number: release.number, version, image: release.image, imageDigest: release.imageDigest, artifact: release.artifactName, commit: release.commitSha, runId: release.runId },
      });
      return release;
    });
  } catch (error) {
    if (isUniqueViolation(error, "releases_project_version")) throw versionTaken(version);
    throw error;
  }
}

/**
 * The release a run's deploy job makes: its commit, pipeline revision and number, the artifact
 * it names (looked up on the run) and what changed since the project's previous release.
 */
export async function createReleaseFromRun(
  db: Database,
  actor: Actor,
  input: { runId: string; image?: string | null; imageDigest?: string | null; artifact?: string | null; version?: string; notes?: string; dataDir?: string },
): Promise<Release> {
  const [run] = await db.select().from(runs).where(eq(runs.id, input.runId));
  if (!run) throw new NotFoundError("This run does not exist or was deleted.");
  let artifactDigest: string | null = null;
  if (input.artifact) {
    const [row] = await db.select().from(artifacts).where(and(eq(artifacts.runId, run.id), eq(artifacts.name, input.artifact)));
    if (!row) throw new NotFoundError(`Run #${run.number} has no artifact named "${input.artifact}"; upload it in a job this one needs.`, "artifact");
    artifactDigest = row.digest;
  }
  const changes = await changesSince(db, { projectId: run.projectId, commitSha: run.commitSha, event: run.event, dataDir: input.dataDir });
  return createRelease(db, actor, {
    projectId: run.projectId,
    version: input.version,
    image: input.image,
    imageDigest: input.imageDigest,
    artifactName: input.artifact,
    artifactDigest,
    commitSha: run.commitSha,
    runId: run.id,
    runNumber: run.number,
    pipelineRevisionId: run.pipelineRevisionId,
    notes: input.notes,
    changes,
  });
}

/**
 * Authors and files changed since the previous release: from the project's git mirror when a
 * checkout left one (no fetch: a release must not wait on the network), else from the run's
 * trigger event, which knows the pushed commits.
 */
export async function changesSince(
  db: Tx,
  input: { projectId: string; commitSha: string; event?: Pick<RunEvent, "commitAuthors" | "changedFiles" | "message" | "author">; dataDir?: string },
): Promise<ReleaseChanges> {
  const [previous] = await db.select().from(releases).where(eq(releases.projectId, input.projectId)).orderBy(desc(releases.number)).limit(1);
  const base = { previousReleaseId: previous?.id ?? null, previousVersion: previous?.version ?? null, fromSha: previous?.commitSha ?? null };
  const mirror = input.dataDir ? path.join(input.dataDir, "mirrors", `${input.projectId}.git`) : null;
  if (mirror && (await stat(path.join(mirror, "HEAD")).catch(() => null))) {
    try {
      const from = previous?.commitSha === input.commitSha ? null : (previous?.commitSha ?? null);
      const [authors, files, commits] = await Promise.all([
        commitAuthorsBetween(mirror, from, input.commitSha),
        changedFiles(mirror, from, input.commitSha),
        commitsBetween(mirror, from, input.commitSha),
      ]);
      return { ...base, authors, files: files.slice(0, 1000), commits, source: "git" };
    } catch {
      // The commits may not be in the mirror (a run of a commit fetched elsewhere): the event still knows them.
    }
  }
  const authors = input.event?.commitAuthors ?? [];
  const files = input.event?.changedFiles ?? [];
  // The event knows only its head commit.
  const head = input.event?.message !== undefined ? [{ sha: input.commitSha, subject: input.event.message.split("\n")[0], author: input.event.author?.name ?? "", email: (input.event.author?.email ?? "").toLowerCase() }] : [];
  return { ...base, authors, files: files.slice(0, 1000), commits: head, source: authors.length || files.length || head.length ? "event" : "none" };
}

export async function listReleases(db: Database, projectId: string, { before, limit = 50 }: { before?: number; limit?: number } = {}) {
  return db
    .select()
    .from(releases)
    .where(and(eq(releases.projectId, projectId), before ? lt(releases.number, before) : undefined))
    .orderBy(desc(releases.number))
    .limit(limit);
}

/** A release with where it is deployed: per environment, whether it serves there now and its deployments. */
export async function getRelease(db: Database, projectId: string, releaseId: string) {
  const release = await requireRelease(db, projectId, releaseId);
  const envs = await db.select().from(environments).where(eq(environments.projectId, projectId)).orderBy(asc(environments.position));
  const history = await db
    .select({ id: deployments.id, environmentId: deployments.environmentId, phase: deployments.phase, kind: deployments.kind, reason: deployments.reason, createdAt: deployments.createdAt, finishedAt: deployments.finishedAt })
    .from(deployments)
    .where(eq(deployments.releaseId, releaseId))
    .orderBy(desc(deployments.createdAt));
  const deployedTo = [];
  for (const env of envs) {
    const current = await currentRelease(db, env.id);
    const here = history.filter((d) => d.environmentId === env.id);
    if (here.length === 0 && current?.id !== releaseId) continue;
    deployedTo.push({ environmentId: env.id, name: env.name, position: env.position, current: current?.id === releaseId, deployments: here });
  }
  return { ...release, deployedTo };
}

export async function requireRelease(db: Tx, projectId: string, releaseId: string): Promise<Release> {
  const [release] = await db.select().from(releases).where(and(eq(releases.id, releaseId), eq(releases.projectId, projectId)));
  if (!release) throw new NotFoundError("This release does not exist in this project.", "releaseId");
  return release;
}

/** The release an environment serves: the one its latest successful deployment put there. */
export async function currentRelease(db: Tx, environmentId: string): Promise<Release | null> {
  const [row] = await db
    .select({ release: releases })
    .from(deployments)
    .innerJoin(releases, eq(releases.id, deployments.releaseId))
    .where(and(eq(deployments.environmentId, environmentId), eq(deployments.phase, "succeeded")))
    .orderBy(desc(deployments.finishedAt), desc(deployments.createdAt))
    .limit(1);
  return row?.release ?? null;
}

function parseVersion(version: string): string {
  const parsed = versionLabelSchema.safeParse(version);
  if (!parsed.success) throw new InvalidInputError(parsed.error.issues[0].message, "version");
  return parsed.data;
}

const versionTaken = (version: string) => new ConflictError(`This project already has a release ${version}; releases are immutable, so give this one another version.`, "version");
