import type { Database } from "@/db/client";
import type { Project, Run } from "@/db/schema";
import { coerceInputs, parsePipeline } from "@/server/pipeline";
import type { Actor } from "./actor";
import { InvalidInputError, NotFoundError } from "./errors";
import { ensureMirror, resolveRef } from "./git";
import { checkoutCredentials, describeCommit, resolvePipeline } from "./pipeline-source";
import { createRun } from "./runs";

/**
 * A run started by a person (UI) or a program (API token) on any branch, tag
 * or commit, with the pipeline's typed manual inputs.
 */
export async function startManualRun(
  db: Database,
  actor: Actor & { userId: string },
  { project, ref, inputs, dataDir, viaApi }: { project: Project; ref?: string; inputs: Record<string, string | number | boolean>; dataDir: string; viaApi: boolean },
): Promise<Run> {
  const wanted = ref?.trim() || project.defaultBranch;
  const mirror = await ensureMirror({ dataDir, projectId: project.id, repositoryUrl: project.repositoryUrl, credentials: await checkoutCredentials(db, project) });
  const sha = (await resolveRef(mirror, `refs/heads/${wanted}`)) ?? (await resolveRef(mirror, `refs/tags/${wanted}`)) ?? (await resolveRef(mirror, wanted));
  if (!sha) throw new NotFoundError(`No branch, tag or commit "${wanted}" in ${project.repositoryUrl}.`, "ref");
  const pipeline = await resolvePipeline(db, { project, sha, dataDir, mirror });
  const parsed = parsePipeline(pipeline.yaml);
  if (!parsed.ok) {
    const first = parsed.errors[0];
    throw new InvalidInputError(`The pipeline does not validate: line ${first.line}:${first.column}: ${first.message}`, "ref");
  }
  if (!parsed.pipeline.on.manual) {
    throw new InvalidInputError("This pipeline cannot be started by hand: add `manual:` under `on:` in its file.", "ref");
  }
  const coerced = coerceInputs(parsed.pipeline.on.manual.inputs ?? {}, inputs);
  if ("errors" in coerced) {
    const [name, message] = Object.entries(coerced.errors)[0];
    throw new InvalidInputError(message, `inputs.${name}`);
  }
  const isBranch = (await resolveRef(mirror, `refs/heads/${wanted}`)) === sha;
  const isTag = !isBranch && (await resolveRef(mirror, `refs/tags/${wanted}`)) === sha;
  return createRun(db, actor, {
    projectId: project.id,
    trigger: viaApi ? "api" : "manual",
    triggeredBy: actor.userId,
    event: {
      ...(await describeCommit(mirror, sha)),
      sha,
      ...(isBranch ? { branch: wanted, ref: `refs/heads/${wanted}` } : {}),
      ...(isTag ? { tag: wanted, ref: `refs/tags/${wanted}` } : {}),
    },
    inputs: coerced.inputs,
    pipeline: { yaml: pipeline.yaml, revisionId: pipeline.revisionId },
  });
}
