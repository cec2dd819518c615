import { createHash } from "node:crypto";
import { desc, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { pipelineRevisions, projectPipelineSettings, type Project } from "@/db/schema";
import { parsePipeline, type Diagnostic } from "@/server/pipeline";
import type { Actor } from "./actor";
import { recordAudit } from "./audit";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { ensureMirror, resolveRef } from "./git";
import { checkoutCredentials, pipelineSettingsOf, PIPELINE_FILE } from "./pipeline-source";
import { readFileAtCommit } from "./git";
import { requestScheduleSync } from "./schedules";

export type PipelineView = {
  source: "repository" | "slipway";
  yaml: string | null;
  /** Where the YAML shown was read from, for people: "revision 4" or ".slipway.yml at main (abc1234)". */
  origin: string;
  revision: { number: number; message: string; createdAt: Date; positions: Record<string, { x: number; y: number }> } | null;
  diagnostics: Diagnostic[];
};

/** Recent verdicts by the text's hash: the editor and the pipeline page ask about the same text again and again, and a large one takes a few hundred milliseconds to check. */
const verdicts = new Map<string, Diagnostic[]>();
const VERDICTS_KEPT = 100;

export function validatePipeline(yaml: string): Diagnostic[] {
  const key = createHash("sha256").update(yaml).digest("base64");
  const known = verdicts.get(key);
  if (known) {
    // Most recently used last, so the oldest is the one dropped.
    verdicts.delete(key);
    verdicts.set(key, known);
    return known;
  }
  const parsed = parsePipeline(yaml);
  const verdict = parsed.ok ? parsed.warnings : [...parsed.errors, ...parsed.warnings];
  verdicts.set(key, verdict);
  if (verdicts.size > VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value!);
  return verdict;
}

/** The project's current pipeline: its latest revision, or `.slipway.yml` at the head of the default branch. */
export async function getPipeline(db: Database, project: Project, dataDir: string): Promise<PipelineView> {
  const settings = await pipelineSettingsOf(db, project.id);
  const [latest] = await db.select().from(pipelineRevisions).where(eq(pipelineRevisions.projectId, project.id)).orderBy(desc(pipelineRevisions.number)).limit(1);
  const revision = latest ? { number: latest.number, message: latest.message, createdAt: latest.createdAt, positions: latest.positions } : null;
  if (settings.source === "slipway") {
    return { source: "slipway", yaml: latest?.yaml ?? null, origin: latest ? `revision ${latest.number}` : "no revision saved yet", revision, diagnostics: latest ? validatePipeline(latest.yaml) : [] };
  }
  try {
    const mirror = await ensureMirror({ dataDir, projectId: project.id, repositoryUrl: project.repositoryUrl, credentials: await checkoutCredentials(db, project) });
    const sha = await resolveRef(mirror, project.defaultBranch);
    const yaml = sha ? await readFileAtCommit(mirror, sha, PIPELINE_FILE) : null;
    const origin = sha ? `${PIPELINE_FILE} at ${project.defaultBranch} (${sha.slice(0, 7)})` : `branch ${project.defaultBranch} not found`;
    return { source: "repository", yaml, origin: yaml === null && sha ? `no ${PIPELINE_FILE} at ${project.defaultBranch}` : origin, revision, diagnostics: yaml ? validatePipeline(yaml) : [] };
  } catch (error) {
    return { source: "repository", yaml: null, origin: `the repository could not be read: ${(error as Error).message}`, revision, diagnostics: [] };
  }
}

/** Saves a new numbered revision; a pipeline with errors is refused with them, line by line. */
export async function saveRevision(
  db: Database,
  actor: Actor,
  input: { projectId: string; yaml: string; message: string; positions: Record<string, { x: number; y: number }>; baseNumber?: number },
) {
  const errors = validatePipeline(input.yaml).filter((d) => d.severity === "error");
  if (errors.length > 0) {
    throw new InvalidInputError(`The pipeline has ${errors.length} error(s); the first, at line ${errors[0].line}:${errors[0].column}: ${errors[0].message}`, "yaml");
  }
  const saved = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`slipway:revisions:${input.projectId}`}))`);
    const [{ last }] = await tx
      .select({ last: sql<number>`coalesce(max(${pipelineRevisions.number}), 0)::int` })
      .from(pipelineRevisions)
      .where(eq(pipelineRevisions.projectId, input.projectId));
    if (input.baseNumber !== undefined && input.baseNumber !== last) {
      throw new ConflictError(`Revision ${last} was saved while you edited revision ${input.baseNumber}; reload to see it, then apply your change again.`, "yaml");
    }
    const [revision] = await tx
      .insert(pipelineRevisions)
      .values({ projectId: input.projectId, number: last + 1, yaml: input.yaml, message: input.message, positions: input.positions, createdBy: actor.userId })
      .returning();
    await recordAudit(tx, actor, {
      action: "pipeline.save_revision",
      objectType: "pipeline_revision",
      objectId: revision.id,
      projectId: input.projectId,
      after: { number: revision.number, message: revision.message },
    });
    return revision;
  });
  // Its on.schedule may have changed; the periodic re-read would notice within minutes, this at once.
  await requestScheduleSync(db, input.projectId);
  return saved;
}

export function listRevisions(db: Database, projectId: string) {
  return db
    .select({ number: pipelineRevisions.number, message: pipelineRevisions.message, createdAt: pipelineRevisions.createdAt, createdBy: pipelineRevisions.createdBy })
    .from(pipelineRevisions)
    .where(eq(pipelineRevisions.projectId, projectId))
    .orderBy(desc(pipelineRevisions.number));
}

export async function getRevision(db: Database, projectId: string, number: number) {
  const revision = await db.query.pipelineRevisions.findFirst({ where: (r, { and, eq }) => and(eq(r.projectId, projectId), eq(r.number, number)) });
  if (!revision) throw new NotFoundError(`This project has no revision ${number}.`);
  return revision;
}

/** Restoring makes a new revision with the old content, so history only grows. */
export async function restoreRevision(db: Database, actor: Actor, { projectId, number }: { projectId: string; number: number }) {
  const old = await getRevision(db, projectId, number);
  return saveRevision(db, actor, { projectId, yaml: old.yaml, message: `Restore revision ${number}`, positions: old.positions });
}

export async function setPipelineSource(db: Database, actor: Actor, { projectId, source }: { projectId: string; source: "repository" | "slipway" }) {
  await db.transaction(async (tx) => {
    const before = await pipelineSettingsOf(tx, projectId);
    await tx
      .insert(projectPipelineSettings)
      .values({ projectId, source })
      .onConflictDoUpdate({ target: projectPipelineSettings.projectId, set: { source, updatedAt: new Date() } });
    await recordAudit(tx, actor, { action: "pipeline.set_source", objectType: "project", objectId: projectId, projectId, before: { source: before.source }, after: { source } });
  });
}
