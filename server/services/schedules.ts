import type PgBoss from "pg-boss";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projects, runs, type Project } from "@/db/schema";
import { parsePipeline, type Pipeline } from "@/server/pipeline";
import { QUEUES } from "@/server/queue/boss";
import { senderFor } from "@/server/queue/boss";
import type { Actor } from "./actor";
import { NotFoundError } from "./errors";
import { commitInfo, resolveRef } from "./git";
import { getProject } from "./projects";
import { PipelineNotFoundError, pipelineSettingsOf, projectMirror, resolvePipeline, startFromCommit, type TriggerDeps, type TriggerOutcome } from "./pipeline-source";

/**
 * `on.schedule` entries become pg-boss schedules, one per entry, named
 * `schedule.<projectId>.<index>`. pg-boss (v10) sends a scheduled job to the
 * queue of the schedule's own name, so each entry has a queue of its own,
 * made before the schedule and dropped with it.
 */
export const SCHEDULE_PREFIX = "schedule.";
export const scheduleName = (projectId: string, index: number) => `${SCHEDULE_PREFIX}${projectId}.${index}`;

/** What each scheduled job carries: enough to check it against the pipeline when it fires. */
export type ScheduleJob = { projectId: string; index: number; cron: string; timezone: string };

export type ScheduleSync = { scheduled: string[]; unchanged: string[]; removed: string[]; problems: string[] };

/** Makes the project's pg-boss schedules match `pipeline.on.schedule`; null (or an archived project) removes them all. */
export async function syncSchedules(boss: PgBoss, db: Database, projectId: string, pipeline: Pipeline | null): Promise<ScheduleSync> {
  const [project] = await db.select({ archivedAt: projects.archivedAt }).from(projects).where(eq(projects.id, projectId));
  const entries = project && !project.archivedAt ? (pipeline?.on.schedule ?? []) : [];
  const wanted = entries.map((s, index) => ({ name: scheduleName(projectId, index), data: { projectId, index, cron: s.cron, timezone: s.timezone ?? "UTC" } }));
  // pg-boss returns its table's rows; its type leaves out the time zone column.
  const existing = ((await boss.getSchedules()) as (PgBoss.Schedule & { timezone?: string })[]).filter((s) =>
    s.name.startsWith(`${SCHEDULE_PREFIX}${projectId}.`),
  );
  const result: ScheduleSync = { scheduled: [], unchanged: [], removed: [], problems: [] };
  for (const { name, data } of wanted) {
    const current = existing.find((s) => s.name === name);
    if (current && current.cron === data.cron && current.timezone === data.timezone) {
      result.unchanged.push(name);
      continue;
    }
    try {
      await createQueueOnce(boss, name);
      await boss.schedule(name, data.cron, data, { tz: data.timezone, retryLimit: 2, retryDelay: 30, expireInSeconds: 900 });
      result.scheduled.push(name);
    } catch (error) {
      result.problems.push(`Schedule "${data.cron}" (${data.timezone}) could not be registered: ${(error as Error).message}`);
    }
  }
  for (const gone of existing.filter((s) => !wanted.some((w) => w.name === s.name))) {
    await boss.unschedule(gone.name);
    await boss.deleteQueue(gone.name);
    result.removed.push(gone.name);
  }
  return result;
}

/** Not `ensureQueues`: its per-process cache would miss a queue that a later sync deleted. */
async function createQueueOnce(boss: PgBoss, name: string) {
  if (await boss.getQueue(name)) return;
  try {
    await boss.createQueue(name);
  } catch (error) {
    if (!(await boss.getQueue(name))) throw error;
  }
}

/**
 * Schedules come from the pipeline on the default branch (as GitHub Actions
 * reads them): its head for `.slipway.yml`, or the latest revision saved in
 * Slipway. A pipeline that is missing or does not validate schedules nothing.
 */
export async function syncProjectSchedules(boss: PgBoss, db: Database, deps: TriggerDeps, projectId: string): Promise<ScheduleSync> {
  let project: Project;
  try {
    project = await getProject(db, projectId);
  } catch (error) {
    if (error instanceof NotFoundError) return syncSchedules(boss, db, projectId, null);
    throw error;
  }
  if (project.archivedAt) return syncSchedules(boss, db, projectId, null);
  // A pipeline kept in Slipway does not depend on a commit: no need to ask the git host.
  const { source } = await pipelineSettingsOf(db, projectId);
  const mirror = source === "repository" ? await projectMirror(db, deps, project) : undefined;
  // The commit only matters for .slipway.yml; a revision saved in Slipway is read whatever it is.
  const sha = mirror ? await resolveRef(mirror, `refs/heads/${project.defaultBranch}`) : "0".repeat(40);
  let pipeline: Pipeline | null = null;
  if (sha) {
    try {
      const parsed = parsePipeline((await resolvePipeline(db, { project, sha, dataDir: deps.dataDir, mirror })).yaml);
      pipeline = parsed.ok ? parsed.pipeline : null;
    } catch (error) {
      if (!(error instanceof PipelineNotFoundError)) throw error;
    }
  }
  return syncSchedules(boss, db, projectId, pipeline);
}

/** Every active project's schedules, one project at a time; a project that fails does not stop the others. */
export async function syncAllSchedules(boss: PgBoss, db: Database, deps: TriggerDeps): Promise<{ synced: number; failed: string[] }> {
  const rows = await db.select({ id: projects.id, slug: projects.slug }).from(projects).where(isNull(projects.archivedAt));
  const failed: string[] = [];
  for (const row of rows) {
    try {
      await syncProjectSchedules(boss, db, deps, row.id);
    } catch (error) {
      failed.push(`${row.slug}: ${(error as Error).message}`);
    }
  }
  // Projects archived or deleted since their schedules were made.
  const active = new Set(rows.map((r) => r.id));
  for (const s of await boss.getSchedules()) {
    const projectId = s.name.startsWith(SCHEDULE_PREFIX) ? s.name.slice(SCHEDULE_PREFIX.length).split(".")[0] : null;
    if (projectId && !active.has(projectId)) await syncSchedules(boss, db, projectId, null);
  }
  return { synced: rows.length - failed.length, failed };
}

/** Asks a worker to re-read the project's schedules soon; any process may call it (it only sends a job). */
export async function requestScheduleSync(db: Database, projectId: string): Promise<void> {
  const boss = await senderFor(db);
  await boss.send(QUEUES.scheduleSync, { projectId }, { singletonKey: projectId, singletonSeconds: 5, retryLimit: 2 });
}

const scheduleActor: Actor = { userId: null, label: "schedule", ip: null, via: "schedule" };

/**
 * A schedule fired: start a run on the default branch's head, if the pipeline
 * there still has this schedule. `jobId` makes a retried job start no second run.
 */
export async function startScheduledRun(db: Database, deps: TriggerDeps, job: ScheduleJob, jobId: string): Promise<TriggerOutcome> {
  const project = await db.query.projects.findFirst({ where: eq(projects.id, job.projectId) });
  if (!project || project.archivedAt) return { started: false, reason: "The project is archived or was deleted." };
  const deliveryId = `schedule:${jobId}`;
  const [earlier] = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.projectId, project.id), eq(runs.trigger, "schedule"), sql`${runs.event}->>'deliveryId' = ${deliveryId}`));
  if (earlier) return { started: false, duplicate: true, reason: "This scheduled job already started a run." };
  const mirror = await projectMirror(db, deps, project);
  const sha = await resolveRef(mirror, `refs/heads/${project.defaultBranch}`);
  if (!sha) return { started: false, reason: `The default branch "${project.defaultBranch}" does not exist in the repository.` };
  const info = await commitInfo(mirror, sha);
  return startFromCommit(db, deps, {
    project,
    actor: { ...scheduleActor, label: `schedule (${job.cron}${job.timezone === "UTC" ? "" : ` ${job.timezone}`})` },
    mirror,
    trigger: "schedule",
    match: { type: "schedule", cron: job.cron, timezone: job.timezone },
    event: {
      sha,
      ref: `refs/heads/${project.defaultBranch}`,
      branch: project.defaultBranch,
      message: info.message,
      author: info.author,
      commitAuthors: [info.author.email.toLowerCase()],
      deliveryId,
    },
  });
}
