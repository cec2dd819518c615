import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projectPipelineSettings, projects, type Run } from "@/db/schema";
import type { Actor } from "./actor";
import { listRemoteHeads } from "./git";
import { checkoutCredentials, pipelineSettingsOf, projectMirror, startBranchPush, type TriggerDeps } from "./pipeline-source";

/**
 * Polling, for git hosts that cannot reach Slipway with a webhook: list the
 * repository's branch heads, and treat every head that moved since the last
 * poll as a push (the pipeline's `on.push` filters decide, as for webhooks).
 */
export type PollResult = {
  /** The first poll only records where every branch is, so enabling polling does not start a run per branch. */
  baseline: boolean;
  started: Run[];
  skipped: { branch: string; reason: string }[];
  /** Another poll of the same project recorded these heads first; this one started nothing. */
  lostRace?: boolean;
  defaultBranchMoved: boolean;
};

const none = (baseline = false): PollResult => ({ baseline, started: [], skipped: [], defaultBranchMoved: false });

/** Projects that poll, with their interval: the worker sends each a job at most once per interval. */
export async function listPollingProjects(db: Database): Promise<{ projectId: string; intervalSeconds: number }[]> {
  return db
    .select({ projectId: projectPipelineSettings.projectId, intervalSeconds: projectPipelineSettings.pollIntervalSeconds })
    .from(projectPipelineSettings)
    .innerJoin(projects, eq(projects.id, projectPipelineSettings.projectId))
    .where(and(gt(projectPipelineSettings.pollIntervalSeconds, 0), isNull(projects.archivedAt)));
}

export async function pollProject(db: Database, deps: TriggerDeps, projectId: string): Promise<PollResult> {
  const project = await db.query.projects.findFirst({ where: eq(projects.id, projectId) });
  if (!project || project.archivedAt) return none();
  const settings = await pipelineSettingsOf(db, projectId);
  if (settings.pollIntervalSeconds <= 0) return none();
  const credentials = await (deps.credentialsFor ?? checkoutCredentials)(db, project);
  const heads = await listRemoteHeads(project.repositoryUrl, credentials);
  const previous = settings.polledHeads;
  const baseline = Object.keys(previous).length === 0;
  const moved = baseline ? [] : Object.keys(heads).filter((branch) => heads[branch] !== previous[branch]);
  const deleted = Object.keys(previous).some((branch) => !(branch in heads));
  if (!baseline && moved.length === 0 && !deleted) return none();

  // Fetch before recording the new heads, so a fetch that fails leaves the change for the next poll.
  const mirror = moved.length ? await projectMirror(db, deps, project, moved.map((b) => heads[b])) : null;
  // Compare-and-set: of two polls that saw the same change, only the one that records it starts runs.
  const [recorded] = await db
    .update(projectPipelineSettings)
    .set({ polledHeads: heads })
    .where(and(eq(projectPipelineSettings.projectId, projectId), sql`${projectPipelineSettings.polledHeads} = ${JSON.stringify(previous)}::jsonb`))
    .returning({ projectId: projectPipelineSettings.projectId });
  if (!recorded) return { ...none(baseline), lostRace: true };
  if (baseline || !mirror) return none(baseline);

  const actor: Actor = { userId: null, label: "polling", ip: null, via: "poll" };
  const result: PollResult = { ...none(), defaultBranchMoved: moved.includes(project.defaultBranch) };
  for (const branch of moved.sort()) {
    try {
      const outcome = await startBranchPush(db, deps, { project, actor, mirror, trigger: "poll", branch, before: previous[branch] ?? null, sha: heads[branch] });
      if (outcome.started) result.started.push(outcome.run);
      else result.skipped.push({ branch, reason: outcome.reason });
    } catch (error) {
      result.skipped.push({ branch, reason: `Could not start a run: ${(error as Error).message}` });
    }
  }
  return result;
}
