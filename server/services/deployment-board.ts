import { stat } from "node:fs/promises";
import path from "node:path";
import { and, asc, count, desc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { ACTIVE_DEPLOYMENT_PHASES, auditEvents, deployments, environments, releases, type DeploymentRow, type Environment, type Release } from "@/db/schema";
import type { DeploymentSpec } from "@/server/deploy/spec";
import type { TargetSettings } from "@/server/schemas/target";
import { ConflictError, NotFoundError } from "./errors";
import { git } from "./git-cli";
import { environmentFreeze, outlookOf, type GovernanceOutlook } from "./governance-outlook";
import { currentRelease, requireRelease } from "./releases";
import { getTargetSettings, resolveDeploymentSpec, rollbackSpec } from "./targets-config";

/**
 * What the environments board and the confirmation dialogs show: per environment its
 * current release, latest deployment, health and which buttons apply (with the reason
 * when one does not, the environment's rules included), and, before a deploy, promotion or
 * rollback, exactly what changes and what the rules will hold it for.
 * Read-only: the changes themselves go through deployments.ts, which audits them.
 */

export type ReleaseSummary = Pick<Release, "id" | "number" | "version" | "commitSha" | "image" | "imageDigest" | "artifactName" | "artifactDigest" | "createdAt" | "runId">;

export type DeploymentSummary = {
  id: string;
  kind: DeploymentRow["kind"];
  phase: DeploymentRow["phase"];
  message: string;
  reason: string | null;
  releaseId: string;
  version: string;
  strategy: string;
  requestedBy: string | null;
  requestedByLabel: string;
  /** Set when a pipeline's deploy job asked for it. */
  runId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  step: { index: number; total: number } | null;
  traffic: Record<string, number>;
};

export type EnvironmentHealth = {
  /** healthy: serving without errors; degraded: serving with errors or fewer instances; down: nothing serves; unknown: nobody can tell. */
  status: "healthy" | "degraded" | "down" | "unknown";
  /** One sentence for people. */
  summary: string;
  /** Where the environment is served, for docker and local targets. */
  url: string | null;
  /** Over the last minute, through the router. */
  traffic: { requests: number; errors: number; p99Ms: number | null } | null;
};

export type BoardColumn = {
  environment: Pick<Environment, "id" | "name" | "position" | "description">;
  target: { kind: TargetSettings["target"]["kind"]; listenPort: number | null; strategy: string; replicas: number; whenBusy: "queue" | "refuse" } | null;
  current: ReleaseSummary | null;
  /** The deployment that put the current release there: when and by whom. */
  since: DeploymentSummary | null;
  /** The newest deployment in any phase: a failed one (or a failed rollback) shows here. */
  latest: DeploymentSummary | null;
  active: DeploymentSummary | null;
  queued: number;
  health: EnvironmentHealth;
  /** `holds`: what the rules make it wait for once asked (approval, wait timer), said beside the button. */
  promote: { to: { id: string; name: string } | null; blocked: string | null; waits: boolean; holds: string | null };
  rollback: { to: ReleaseSummary | null; blocked: string | null; holds: string | null };
  deploy: { blocked: string | null };
};

export type Board = { columns: BoardColumn[]; releaseCount: number };

export type BoardOptions = {
  /** The router's admin address; null when none is reachable from here (health then comes from the last deployment). */
  routerUrl: string | null;
  /** Host name people reach environments on (the one Slipway's URL names). */
  publicHost: string;
};

export async function deploymentBoard(db: Database, projectId: string, options: BoardOptions): Promise<Board> {
  const envs = await db.select().from(environments).where(eq(environments.projectId, projectId)).orderBy(asc(environments.position));
  const [{ releaseCount }] = await db.select({ releaseCount: count() }).from(releases).where(eq(releases.projectId, projectId));
  const facts = await Promise.all(envs.map((env) => environmentFacts(db, projectId, env)));
  const columns = facts.map((f, index): BoardColumn => {
    const next = facts[index + 1] ?? null;
    return {
      environment: { id: f.env.id, name: f.env.name, position: f.env.position, description: f.env.description },
      target: f.settings ? describeTarget(f.settings) : null,
      current: f.current && summarizeRelease(f.current),
      since: f.since,
      latest: f.latest,
      active: f.active,
      queued: f.queued,
      health: { status: "unknown", summary: "", url: null, traffic: null },
      promote: promoteRule(f, next),
      rollback: { to: f.previous && summarizeRelease(f.previous), blocked: rollbackBlocked(f), holds: null },
      deploy: { blocked: deployBlocked(f, releaseCount) },
    };
  });
  const now = new Date();
  await Promise.all(
    columns.map(async (column, index) => {
      await applyGovernance(db, column, facts[index], facts[index + 1] ?? null, now);
      column.health = await environmentHealth(facts[index], options);
    }),
  );
  return { columns, releaseCount };
}

type Facts = {
  env: Environment;
  settings: TargetSettings | null;
  current: Release | null;
  /** The release before the current one here: what a rollback returns to by default. */
  previous: Release | null;
  since: DeploymentSummary | null;
  latest: DeploymentSummary | null;
  active: DeploymentSummary | null;
  /** The deployment rows behind `active`, for the health of its instances. */
  activeRow: DeploymentRow | null;
  sinceRow: DeploymentRow | null;
  queued: number;
};

async function environmentFacts(db: Database, projectId: string, env: Environment): Promise<Facts> {
  const stored = await getTargetSettings(db, projectId, env.id).catch((error: unknown) => {
    // A hand-edited row that no longer parses: the environment shows as having no usable target.
    if (error instanceof ConflictError) return null;
    throw error;
  });
  const rows = await db
    .select({ deployment: deployments, version: releases.version })
    .from(deployments)
    .innerJoin(releases, eq(releases.id, deployments.releaseId))
    .where(eq(deployments.environmentId, env.id))
    .orderBy(desc(deployments.createdAt))
    .limit(1);
  const [sinceRow] = await db
    .select({ deployment: deployments, version: releases.version })
    .from(deployments)
    .innerJoin(releases, eq(releases.id, deployments.releaseId))
    .where(and(eq(deployments.environmentId, env.id), eq(deployments.phase, "succeeded")))
    .orderBy(desc(deployments.finishedAt), desc(deployments.createdAt))
    .limit(1);
  const [activeRow] = await db
    .select({ deployment: deployments, version: releases.version })
    .from(deployments)
    .innerJoin(releases, eq(releases.id, deployments.releaseId))
    .where(and(eq(deployments.environmentId, env.id), inArray(deployments.phase, [...ACTIVE_DEPLOYMENT_PHASES])))
    .limit(1);
  const [{ queued }] = await db
    .select({ queued: count() })
    .from(deployments)
    .where(and(eq(deployments.environmentId, env.id), eq(deployments.phase, "queued")));
  const current = await currentRelease(db, env.id);
  const previous = current ? await releaseBefore(db, env.id, current.id) : null;
  return {
    env,
    settings: stored?.settings ?? null,
    current,
    previous,
    since: sinceRow ? summarizeDeployment(sinceRow.deployment, sinceRow.version) : null,
    latest: rows[0] ? summarizeDeployment(rows[0].deployment, rows[0].version) : null,
    active: activeRow ? summarizeDeployment(activeRow.deployment, activeRow.version) : null,
    activeRow: activeRow?.deployment ?? null,
    sinceRow: sinceRow?.deployment ?? null,
    queued,
  };
}

/** The newest release that succeeded in the environment other than `currentId` (the one deployments.ts rolls back to). */
async function releaseBefore(db: Database, environmentId: string, currentId: string): Promise<Release | null> {
  const [row] = await db
    .select({ release: releases })
    .from(deployments)
    .innerJoin(releases, eq(releases.id, deployments.releaseId))
    .where(and(eq(deployments.environmentId, environmentId), eq(deployments.phase, "succeeded"), sql`${deployments.releaseId} <> ${currentId}`))
    .orderBy(desc(deployments.finishedAt))
    .limit(1);
  return row?.release ?? null;
}

function promoteRule(from: Facts, next: Facts | null): BoardColumn["promote"] {
  if (!next) return { to: null, blocked: `${from.env.name} is the last environment in the promotion order.`, waits: false, holds: null };
  const to = { id: next.env.id, name: next.env.name };
  const blocked = (reason: string) => ({ to, blocked: reason, waits: false, holds: null });
  if (!from.current) return blocked(`Nothing is deployed to ${from.env.name} yet.`);
  if (!next.settings) return blocked(`${next.env.name} has no target yet: choose where it runs in its settings.`);
  if (next.current?.id === from.current.id && !next.active) return blocked(`${from.current.version} is already live in ${next.env.name}.`);
  if (next.active?.releaseId === from.current.id) return blocked(`${from.current.version} is being deployed to ${next.env.name} now.`);
  const busy = next.active !== null || next.queued > 0;
  if (busy && next.settings.whenBusy === "refuse") return blocked(`A deployment to ${next.env.name} is in progress, and ${next.env.name} accepts no other until it ends.`);
  return { to, blocked: null, waits: busy, holds: null };
}

/**
 * The environments' protection rules on the buttons the other reasons left on: a refusal or a
 * freeze turns one off with its reason (a rollback the rules exempt stays on); approval and
 * wait timers leave it on and are said beside it.
 */
async function applyGovernance(db: Database, column: BoardColumn, f: Facts, next: Facts | null, now: Date): Promise<void> {
  if (!column.deploy.blocked) column.deploy.blocked = (await environmentFreeze(db, f.env, now))?.description ?? null;
  if (next && f.current && !column.promote.blocked) {
    const outlook = await outlookOf(db, next.env, f.current, "promotion", now);
    column.promote = outlook.blocked ? { ...column.promote, blocked: outlook.blocked, waits: false } : { ...column.promote, holds: describeWait(outlook) };
  }
  if (f.previous && !column.rollback.blocked) {
    const outlook = await outlookOf(db, f.env, f.previous, "rollback", now);
    column.rollback = { ...column.rollback, blocked: outlook.blocked, holds: outlook.blocked ? null : describeWait(outlook) };
  }
}

/** What a deployment asked for now would wait for before it starts, in a sentence, or null. */
function describeWait(outlook: GovernanceOutlook): string | null {
  const waits: string[] = [];
  if (outlook.approval) {
    const stages = outlook.approval.stages.slice(outlook.approval.stageIndex).map((s) => s.name);
    waits.push(`approval by ${stages.join(", then ")}`);
  }
  if (outlook.waitTimer) waits.push(`a wait timer of ${outlook.waitTimer.minutes} ${outlook.waitTimer.minutes === 1 ? "minute" : "minutes"}`);
  return waits.length ? `It will wait for ${waits.join(" and ")} before it starts.` : null;
}

function rollbackBlocked(f: Facts): string | null {
  if (!f.settings) return `${f.env.name} has no target yet: choose where it runs in its settings.`;
  if (!f.current) return `Nothing is deployed to ${f.env.name} yet, so there is nothing to roll back.`;
  if (f.active) return `A deployment to ${f.env.name} is in progress; abort it to return to ${f.current.version}.`;
  if (!f.previous) return `${f.env.name} has no earlier release than ${f.current.version} to return to.`;
  return null;
}

function deployBlocked(f: Facts, releaseCount: number): string | null {
  if (!f.settings) return `${f.env.name} has no target yet: choose where it runs in its settings.`;
  if (releaseCount === 0) return "There is no release yet: a pipeline run with a deploy job makes one.";
  if ((f.active || f.queued > 0) && f.settings.whenBusy === "refuse") return `A deployment to ${f.env.name} is in progress, and ${f.env.name} accepts no other until it ends.`;
  return null;
}

function describeTarget(settings: TargetSettings): NonNullable<BoardColumn["target"]> {
  const { target, strategy, whenBusy } = settings;
  return { kind: target.kind, listenPort: target.kind === "kubernetes" ? null : target.listenPort, strategy: strategy.strategy, replicas: strategy.replicas, whenBusy };
}

export function summarizeRelease(release: Release): ReleaseSummary {
  const { id, number, version, commitSha, image, imageDigest, artifactName, artifactDigest, createdAt, runId } = release;
  return { id, number, version, commitSha, image, imageDigest, artifactName, artifactDigest, createdAt, runId };
}

function summarizeDeployment(row: DeploymentRow, version: string): DeploymentSummary {
  return {
    id: row.id,
    kind: row.kind,
    phase: row.phase,
    message: row.message,
    reason: row.reason,
    releaseId: row.releaseId,
    version,
    strategy: String((row.spec as { strategy?: string }).strategy ?? ""),
    requestedBy: row.requestedBy,
    requestedByLabel: row.requestedByLabel,
    runId: row.runId,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    step: row.step ?? null,
    traffic: row.traffic,
  };
}

/* ---------- health ---------- */

type RouteView = {
  listening: boolean;
  listenError: string | null;
  weights: Record<string, number>;
  backends: { version: string; state: string; ejectedUntil: string | null }[];
  stats: Record<string, Record<string, { requests: number; errors: number; p99Ms: number | null }>>;
};

async function environmentHealth(f: Facts, options: BoardOptions): Promise<EnvironmentHealth> {
  const none = (summary: string): EnvironmentHealth => ({ status: "unknown", summary, url: null, traffic: null });
  if (!f.settings) return none("No target yet.");
  const routed = f.settings.target.kind !== "kubernetes";
  const url = f.settings.target.kind === "kubernetes" ? null : `http://${options.publicHost}:${f.settings.target.listenPort}/`;
  if (!routed || !options.routerUrl) return tallyHealth(f, url);
  let route: RouteView | null;
  try {
    const response = await fetch(`${options.routerUrl}/routes/${f.env.id}`, { signal: AbortSignal.timeout(1_500) });
    route = response.status === 404 ? null : response.ok ? ((await response.json()) as RouteView) : null;
    if (!response.ok && response.status !== 404) return { status: "unknown", summary: `The router answered ${response.status}.`, url, traffic: null };
  } catch {
    return { status: "unknown", summary: "The router is not answering, so traffic cannot be measured.", url, traffic: null };
  }
  if (!route) return f.current ? { status: "down", summary: "The router serves no route for it: nothing takes requests.", url, traffic: null } : none("Nothing deployed yet.");
  if (!route.listening) return { status: "down", summary: route.listenError ?? `The router cannot open port ${f.settings.target.kind === "kubernetes" ? "" : f.settings.target.listenPort}.`, url, traffic: null };
  const now = Date.now();
  const serving = Object.entries(route.weights).filter(([, weight]) => weight > 0).map(([version]) => version);
  const backends = route.backends.filter((b) => b.state === "active" && serving.includes(b.version));
  const up = backends.filter((b) => !b.ejectedUntil || Date.parse(b.ejectedUntil) <= now);
  const totals = Object.values(route.stats).reduce(
    (sum, windows) => {
      const minute = windows["60s"];
      if (!minute) return sum;
      return { requests: sum.requests + minute.requests, errors: sum.errors + minute.errors, p99Ms: Math.max(sum.p99Ms ?? 0, minute.p99Ms ?? 0) || null };
    },
    { requests: 0, errors: 0, p99Ms: null as number | null },
  );
  if (serving.length === 0) return { status: f.current ? "down" : "unknown", summary: f.current ? "No version takes traffic." : "Nothing deployed yet.", url, traffic: totals };
  if (up.length === 0) return { status: "down", summary: "No instance takes requests: every one failed its checks or is gone.", url, traffic: totals };
  const wanted = f.settings.strategy.replicas;
  const rate = totals.requests > 0 ? totals.errors / totals.requests : 0;
  const instances = `${up.length} of ${Math.max(wanted, up.length)} ${wanted === 1 ? "instance" : "instances"} up`;
  const load = totals.requests === 0 ? "no requests in the last minute" : `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)}% errors of ${totals.requests} requests in the last minute`;
  const degraded = rate > 0.05 || (up.length < wanted && !f.active);
  return { status: degraded ? "degraded" : "healthy", summary: `${instances}; ${load}`, url, traffic: totals };
}

/** Without the router (Kubernetes, or none reachable): the last probes the deployment recorded. */
function tallyHealth(f: Facts, url: string | null): EnvironmentHealth {
  const row = f.activeRow ?? f.sinceRow;
  if (!row) return { status: "unknown", summary: "Nothing deployed yet.", url, traffic: null };
  const tallies = Object.values(row.health);
  if (tallies.length === 0) return { status: "unknown", summary: "No health checks recorded.", url, traffic: null };
  const ready = tallies.filter((t) => t.ready).length;
  const status = ready === 0 ? "down" : ready < tallies.length ? "degraded" : "healthy";
  return { status, summary: `${ready} of ${tallies.length} instances passed their last health checks`, url, traffic: null };
}

/* ---------- what a deploy, promotion or rollback changes ---------- */

export type CommitLine = { sha: string; title: string; author: string };

export type DeploymentPreview = {
  kind: "deploy" | "promotion" | "rollback";
  environment: { id: string; name: string };
  release: ReleaseSummary;
  current: ReleaseSummary | null;
  /** first: nothing serves yet; forward: a newer release; back: an older one; same: the release that serves now. */
  direction: "first" | "forward" | "back" | "same";
  /** Commits the environment gains (forward) or loses (back); `note` explains when the history cannot be read. */
  commits: { list: CommitLine[]; truncated: boolean; note: string | null };
  artifact: { from: string | null; to: string; changed: boolean };
  variables: {
    /** Promotions: how the environment's variables differ from those the release ran with where it comes from. */
    fromEnvironment: { name: string; changes: VariableChange[] } | null;
    /** Variables edited in this environment since its current release went live: they take effect with this deployment. */
    sinceCurrent: VariableChange[];
  };
  strategy: { name: string; replicas: number; summary: string };
  /** Deployments ahead of it; it waits in line when above 0. */
  ahead: number;
  /** What the environment's rules say to it now: a refusal, a freeze, the approval and wait timer it would wait for. */
  governance: GovernanceOutlook;
  /** Why it cannot go ahead, when it cannot (the rules' refusal or freeze included). */
  blocked: string | null;
};

export type VariableChange = { name: string; from: string | null; to: string | null };

const COMMIT_LIMIT = 50;

export async function previewDeployment(
  db: Database,
  dataDir: string,
  input: { projectId: string; environmentId: string; releaseId: string; kind: "deploy" | "promotion" | "rollback"; fromEnvironmentId?: string },
): Promise<DeploymentPreview> {
  const [env] = await db.select().from(environments).where(and(eq(environments.id, input.environmentId), eq(environments.projectId, input.projectId)));
  if (!env) throw new NotFoundError("This environment does not exist or was deleted.", "environmentId");
  const release = await requireRelease(db, input.projectId, input.releaseId);
  const stored = await getTargetSettings(db, input.projectId, env.id);
  const current = await currentRelease(db, env.id);
  const active = await db
    .select({ id: deployments.id, releaseId: deployments.releaseId, phase: deployments.phase })
    .from(deployments)
    .where(and(eq(deployments.environmentId, env.id), inArray(deployments.phase, ["queued", ...ACTIVE_DEPLOYMENT_PHASES])));
  let from: Environment | null = null;
  if (input.fromEnvironmentId) {
    [from] = await db.select().from(environments).where(and(eq(environments.id, input.fromEnvironmentId), eq(environments.projectId, input.projectId)));
    if (!from) throw new NotFoundError("This environment does not exist or was deleted.", "fromEnvironmentId");
  }

  const direction = !current ? "first" : current.id === release.id ? "same" : current.number < release.number ? "forward" : "back";
  const commits = await commitsBetween(dataDir, input.projectId, current, release, direction);
  const artifactOf = (r: Release) => r.imageDigest ?? r.image ?? (r.artifactDigest ? `${r.artifactName ?? "artifact"} ${r.artifactDigest}` : (r.artifactName ?? "—"));
  const since = current ? await variablesSince(db, env, current.id) : [];

  let strategy: DeploymentPreview["strategy"] = { name: "—", replicas: 0, summary: "This environment has no target yet." };
  if (stored) {
    const spec = input.kind === "rollback" ? rollbackSpec(stored.settings.strategy) : resolveDeploymentSpec(stored.settings.strategy, undefined);
    strategy = { name: spec.strategy, replicas: spec.replicas, summary: describeSpec(spec, input.kind) };
  }

  let blocked: string | null = null;
  const running = active.some((a) => a.phase !== "queued");
  if (!stored) blocked = `${env.name} has no target yet: choose where it runs in its settings.`;
  else if (current?.id === release.id && active.length === 0) blocked = `${release.version} is already live in ${env.name}.`;
  else if (active.length > 0 && stored.settings.whenBusy === "refuse") blocked = `A deployment to ${env.name} is in progress, and ${env.name} accepts no other until it ends.`;
  else if (input.kind === "rollback" && running) blocked = `A deployment to ${env.name} is in progress; abort it to return to ${current?.version ?? "the stable release"}.`;
  else if (input.kind === "rollback" && !current) blocked = `Nothing is deployed to ${env.name} yet, so there is nothing to roll back.`;
  const governance = await outlookOf(db, env, release, input.kind);

  return {
    kind: input.kind,
    environment: { id: env.id, name: env.name },
    release: summarizeRelease(release),
    current: current && summarizeRelease(current),
    direction,
    commits,
    artifact: { from: current ? artifactOf(current) : null, to: artifactOf(release), changed: !current || artifactOf(current) !== artifactOf(release) },
    variables: {
      fromEnvironment: from ? { name: from.name, changes: diffVariables(from.variables, env.variables) } : null,
      sinceCurrent: since,
    },
    strategy,
    ahead: active.length,
    governance,
    blocked: blocked ?? governance.blocked,
  };
}

function describeSpec(spec: DeploymentSpec, kind: string): string {
  const instances = `${spec.replicas} ${spec.replicas === 1 ? "instance" : "instances"}`;
  switch (spec.strategy) {
    case "rolling":
      return `Rolling: ${instances}, replaced in batches (max surge ${spec.maxSurge}, max unavailable ${spec.maxUnavailable}), each new one ready before an old one goes.`;
    case "blue-green":
      return kind === "rollback"
        ? `Blue-green: ${instances} of the earlier release start beside the current ones and take all traffic at once when ready.`
        : `Blue-green: ${instances} start beside the current ones and take all traffic at once when ready${spec.autoPromote ? "" : " and a person promotes them"}; the old ones stay warm for ${spec.scaleDownDelaySeconds} s.`;
    case "canary":
      return `Canary: ${instances}; ${spec.steps.map(describeStep).join(", then ")}, then all traffic.`;
  }
}

function describeStep(step: Extract<DeploymentSpec, { strategy: "canary" }>["steps"][number]): string {
  if ("setWeight" in step) return `${step.setWeight}% of traffic`;
  if ("pause" in step) return step.pause.durationSeconds === undefined ? "pause until a person resumes" : `pause ${step.pause.durationSeconds} s`;
  const a = step.analysis;
  return `analysis over ${a.windowSeconds} s (errors ≤ ${+(a.maxErrorRate * 100).toFixed(2)}%${a.maxP99Ms === undefined ? "" : `, p99 ≤ ${a.maxP99Ms} ms`})`;
}

export function diffVariables(before: Record<string, string>, after: Record<string, string>): VariableChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.filter((name) => before[name] !== after[name]).map((name) => ({ name, from: before[name] ?? null, to: after[name] ?? null }));
}

/**
 * The environment's variables now against those it had when its current release went live:
 * the audit trail records every edit with its before and after, so the first edit since
 * then holds what the instances were started with.
 */
async function variablesSince(db: Database, env: Environment, currentReleaseId: string): Promise<VariableChange[]> {
  const [live] = await db
    .select({ startedAt: deployments.startedAt, createdAt: deployments.createdAt })
    .from(deployments)
    .where(and(eq(deployments.environmentId, env.id), eq(deployments.releaseId, currentReleaseId), eq(deployments.phase, "succeeded")))
    .orderBy(desc(deployments.finishedAt))
    .limit(1);
  if (!live) return [];
  const since = (live.startedAt ?? live.createdAt).toISOString();
  const edits = await db
    .select({ before: auditEvents.before })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, "environment.update"),
        eq(auditEvents.objectId, env.id),
        gt(auditEvents.at, since),
        sql`${auditEvents.before} ? 'variables'`,
      ),
    )
    .orderBy(asc(auditEvents.seq))
    .limit(1);
  const before = (edits[0]?.before as { variables?: Record<string, string> } | undefined)?.variables;
  return before ? diffVariables(before, env.variables) : [];
}

async function commitsBetween(
  dataDir: string,
  projectId: string,
  current: Release | null,
  release: Release,
  direction: DeploymentPreview["direction"],
): Promise<DeploymentPreview["commits"]> {
  if (!current) return { list: [], truncated: false, note: `The first deployment here: commit ${release.commitSha.slice(0, 7)}.` };
  if (current.commitSha === release.commitSha) return { list: [], truncated: false, note: `The same commit as ${current.version} (${release.commitSha.slice(0, 7)}): no code changes.` };
  const [older, newer] = direction === "back" ? [release.commitSha, current.commitSha] : [current.commitSha, release.commitSha];
  const range = `${older.slice(0, 7)}..${newer.slice(0, 7)}`;
  const mirror = path.join(dataDir, "mirrors", `${projectId}.git`);
  if (!/^[0-9a-f]{7,64}$/i.test(older) || !/^[0-9a-f]{7,64}$/i.test(newer) || !(await stat(path.join(mirror, "HEAD")).catch(() => null))) {
    return { list: [], truncated: false, note: `The repository's history is not available here; the commits are ${range}.` };
  }
  try {
    const out = await git(mirror, ["log", `--max-count=${COMMIT_LIMIT + 1}`, "--format=%H%x1f%s%x1f%an%x1e", `${older}..${newer}`, "--"]);
    const list = out
      .split("\x1e")
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const [sha, title, author] = entry.split("\x1f");
        return { sha, title, author };
      });
    if (list.length === 0 && direction === "back") {
      return { list, truncated: false, note: `${release.version} is not an ancestor of ${current.version}'s commit; compare ${range} in the repository.` };
    }
    return { list: list.slice(0, COMMIT_LIMIT), truncated: list.length > COMMIT_LIMIT, note: null };
  } catch {
    return { list: [], truncated: false, note: `The commits ${range} are not in this server's copy of the repository.` };
  }
}
