"use client";

import Link from "next/link";
import { formatAgo } from "@/components/runs/format";
import { isoTitle, plural } from "@/components/ui/format";
import { phaseLook, releaseArtifact, requester, shortDigest, shortSha, strategyLabel, type BoardColumn } from "./format";
import { PhaseBadge } from "./phase-badge";
import styles from "./deployments.module.css";

type Props = {
  column: BoardColumn;
  projectSlug: string;
  /** Why this person may not deploy here at all (their role), or null. */
  roleBlock: string | null;
  now: number;
  name: (userId: string | null) => string | null;
  onPromote: () => void;
  onDeploy: () => void;
  onRollback: () => void;
};

/** One environment on the board: what serves there, how it got there, how healthy it is, and what can be done next. */
export function EnvironmentColumn({ column, projectSlug, roleBlock, now, name, onPromote, onDeploy, onRollback }: Props) {
  const { environment: env, current, since, latest, active, target, health } = column;
  const base = `/projects/${projectSlug}`;
  const promoteWhy = roleBlock ?? column.promote.blocked;
  const deployWhy = roleBlock ?? column.deploy.blocked;
  const rollbackWhy = roleBlock ?? column.rollback.blocked;
  // Each reason is said once, beside the first button it stops; later buttons with the same reason point at it.
  const id = (what: "promote" | "deploy" | "rollback") => `${env.id}-${what}-why`;
  const promoteNote = column.promote.to && promoteWhy ? promoteWhy : null;
  const deployNote = deployWhy && deployWhy !== promoteNote ? deployWhy : null;
  const rollbackNote = rollbackWhy && rollbackWhy !== promoteNote && rollbackWhy !== deployNote ? rollbackWhy : null;
  const describedBy = (why: string | null) => (!why ? undefined : why === promoteNote ? id("promote") : why === deployNote ? id("deploy") : id("rollback"));
  // The newest deployment when it is not the one that put the current release there: its outcome must show (a failed rollback, say).
  const outcome = latest && latest.id !== since?.id && latest.id !== active?.id && latest.phase !== "queued" ? latest : null;
  // A waiting deployment shown above (held by the rules, with nothing running) is not also counted as in line.
  const waitingBehind = column.queued - (!active && latest?.phase === "queued" ? 1 : 0);

  return (
    <li className={`card ${styles.column}`} data-environment={env.name} aria-label={`Environment ${env.name}`}>
      <div className="spread">
        <h3>{env.name}</h3>
        {target ? (
          <span className="badge" title={`${target.kind} target, ${target.replicas} ${target.replicas === 1 ? "instance" : "instances"}`}>
            {target.kind} · {strategyLabel[target.strategy] ?? target.strategy}
          </span>
        ) : (
          <Link className="badge warn" href={`${base}/environments/${env.id}#target`}>
            No target
          </Link>
        )}
      </div>

      <div className={styles.section}>
        <span className={styles.label}>Current release</span>
        {current ? (
          <>
            <Link href={`${base}/releases/${current.id}`} className={styles.version} data-testid="current-version">
              {current.version}
            </Link>
            <dl className={styles.facts}>
              <dt>commit</dt>
              <dd title={current.commitSha}>{shortSha(current.commitSha)}</dd>
              <dt>{releaseArtifact(current).label.startsWith("artifact") ? "artifact" : "digest"}</dt>
              <dd title={releaseArtifact(current).value}>{shortDigest(releaseArtifact(current).value)}</dd>
            </dl>
            {since && (
              <span className="small muted" title={isoTitle(since.finishedAt)}>
                {since.kind === "rollback" ? "Rolled back" : since.kind === "promotion" ? "Promoted" : "Deployed"} <Link href={`${base}/deployments/${since.id}`}>{formatAgo(since.finishedAt, now)}</Link> by{" "}
                {requester(since, name)}
              </span>
            )}
          </>
        ) : (
          <span className="muted" data-testid="current-version">
            Nothing deployed yet
          </span>
        )}
      </div>

      <div className={styles.section} data-testid="environment-status">
        <span className={styles.label}>Status</span>
        {active ? (
          <div className={`${styles.outcome} ${styles.running}`}>
            <div className="row" style={{ gap: "0.4rem" }}>
              <PhaseBadge phase={active.phase} testId="active-phase" />
              <Link href={`${base}/deployments/${active.id}`}>
                {active.kind === "rollback" ? "Rolling back to" : "Deploying"} {active.version}
              </Link>
            </div>
            <span className="small muted">
              {active.message}
              {active.step && ` (step ${Math.min(active.step.index + 1, active.step.total)} of ${active.step.total})`}
            </span>
          </div>
        ) : (
          <div className="row" style={{ gap: "0.4rem" }}>
            {latest?.phase === "queued" ? (
              <>
                <PhaseBadge phase="queued" testId="environment-phase" />
                <Link href={`${base}/deployments/${latest.id}`}>
                  {latest.kind === "rollback" ? "Rollback to" : "Deployment of"} {latest.version}
                </Link>
                <span className="small muted">{latest.message}</span>
              </>
            ) : since ? (
              <PhaseBadge phase={since.phase} testId="environment-phase" />
            ) : (
              <span className="small muted">No deployment yet</span>
            )}
          </div>
        )}
        {waitingBehind > 0 && <span className="small muted">{plural(waitingBehind, active ? "deployment" : "more deployment")} waiting in line</span>}
        {outcome && (
          <div className={styles.outcome} role="status" data-testid="last-outcome">
            <Link href={`${base}/deployments/${outcome.id}`}>
              {outcome.kind === "rollback" ? `Rollback to ${outcome.version}` : `${kindWord(outcome.kind)} of ${outcome.version}`} {phaseLook(outcome.phase).label.toLowerCase()}
            </Link>
            {outcome.reason && <span className="small">: {outcome.reason}</span>}
            <span className="small muted" title={isoTitle(outcome.finishedAt)}>
              {" "}
              · {formatAgo(outcome.finishedAt ?? outcome.createdAt, now)}
            </span>
          </div>
        )}
      </div>

      <div className={styles.section}>
        <span className={styles.label}>Health</span>
        <span className={styles.health} data-health={health.status} data-testid="environment-health">
          <span className={`${styles.dot} ${styles[health.status] ?? ""}`} aria-hidden="true" />
          {healthWord[health.status]}
        </span>
        {health.summary && <span className="small muted">{health.summary}</span>}
        {health.url && (
          <a className="small" href={health.url} target="_blank" rel="noreferrer">
            {health.url}
          </a>
        )}
      </div>

      <div className={styles.actions}>
        {column.promote.to && (
          <>
            <button type="button" className="primary" disabled={promoteWhy !== null} aria-describedby={promoteWhy ? id("promote") : undefined} onClick={onPromote}>
              Promote to {column.promote.to.name}
            </button>
            {promoteWhy && (
              <p className={styles.why} id={id("promote")}>
                {promoteWhy}
              </p>
            )}
            {!promoteWhy && column.promote.waits && <p className={styles.why}>{column.promote.to.name} is busy: it will wait in line.</p>}
            {!promoteWhy && column.promote.holds && <p className={styles.why}>{column.promote.holds}</p>}
          </>
        )}
        <div className="row">
          <button type="button" disabled={deployWhy !== null} aria-describedby={describedBy(deployWhy)} onClick={onDeploy}>
            Deploy…
          </button>
          <button type="button" disabled={rollbackWhy !== null} aria-describedby={describedBy(rollbackWhy)} onClick={onRollback}>
            Roll back…
          </button>
        </div>
        {deployNote && (
          <p className={styles.why} id={id("deploy")}>
            Deploy: {deployNote}
          </p>
        )}
        {rollbackNote && (
          <p className={styles.why} id={id("rollback")}>
            Roll back: {rollbackNote}
          </p>
        )}
        {!rollbackWhy && column.rollback.holds && <p className={styles.why}>Roll back: {column.rollback.holds}</p>}
        {target === null && (
          <Link className="small" href={`${base}/environments/${env.id}#target`}>
            Choose where {env.name} runs
          </Link>
        )}
      </div>
    </li>
  );
}

const kindWord = (kind: string) => (kind === "promotion" ? "Promotion" : kind === "rollback" ? "Rollback" : "Deployment");

const healthWord: Record<string, string> = { healthy: "Healthy", degraded: "Degraded", down: "Down", unknown: "Unknown" };
