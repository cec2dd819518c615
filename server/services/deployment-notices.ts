import { eq } from "drizzle-orm";
import type { Database, DbTransaction } from "@/db/client";
import { environments, releases, type DeploymentRow } from "@/db/schema";
import { emailNotice } from "./email";
import { emitNotification, type Notice } from "./notifications";

/** What happened to a deployment that people hear about: it started, or it ended in one of these phases. */
export type DeploymentMoment = "started" | "succeeded" | "failed" | "rolled_back" | "aborted";

type Facts = { version: string; environment: string; kind: DeploymentRow["kind"]; by: string; message: string };

/**
 * The event and its sentence. A rollback asked for by hand that went through, a deployment
 * rolled back after a failed check, and one a person aborted (which rolls it back) are all
 * `deployment.rolled_back`; `deployment.failed` is a failure with nothing to return to.
 */
export function deploymentNotice(moment: DeploymentMoment, f: Facts): { event: string; summary: string } {
  switch (moment) {
    case "started":
      return f.kind === "rollback"
        ? { event: "deployment.started", summary: `Rollback of ${f.environment} to ${f.version} started, asked by ${f.by}` }
        : { event: "deployment.started", summary: `${f.version} to ${f.environment} started, asked by ${f.by}` };
    case "succeeded":
      return f.kind === "rollback"
        ? { event: "deployment.rolled_back", summary: `${f.environment} was rolled back to ${f.version} by ${f.by}` }
        : { event: "deployment.succeeded", summary: `${f.version} is live in ${f.environment}` };
    case "failed":
      return { event: "deployment.failed", summary: `${f.version} to ${f.environment} failed: ${f.message.replace(/^Failed: /, "")}` };
    case "rolled_back":
      return { event: "deployment.rolled_back", summary: `${f.version} to ${f.environment} was rolled back automatically. ${f.message}` };
    case "aborted":
      return { event: "deployment.rolled_back", summary: `${f.version} to ${f.environment} was aborted: ${f.message}` };
  }
}

/**
 * Tells the project's hooks, in the transaction that recorded it, and emails the person who
 * asked for the deployment when it failed or was rolled back (not about a rollback they asked for).
 * Called once at a deployment's start and once at its end, never on the passes between.
 */
export async function noticeDeployment(db: Database, tx: DbTransaction, row: DeploymentRow, moment: DeploymentMoment, message: string): Promise<void> {
  const [facts] = await tx
    .select({ version: releases.version, environment: environments.name })
    .from(releases)
    .innerJoin(environments, eq(environments.id, row.environmentId))
    .where(eq(releases.id, row.releaseId));
  const { event, summary } = deploymentNotice(moment, { ...facts, kind: row.kind, by: row.requestedByLabel, message });
  const notice: Notice = {
    projectId: row.projectId,
    event,
    summary,
    path: `/projects/{slug}/deployments/${row.id}`,
    data: { deploymentId: row.id, environment: facts.environment, version: facts.version, kind: row.kind, phase: moment, message },
  };
  await emitNotification(tx, notice);
  const badNews = moment === "failed" || moment === "rolled_back" || moment === "aborted";
  if (badNews) await emailNotice(db, tx, notice, async () => [row.requestedBy]);
}
