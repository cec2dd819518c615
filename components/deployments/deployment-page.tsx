"use client";

import Link from "next/link";
import { ProjectFrame } from "@/components/projects/project-frame";
import runStyles from "@/components/runs/runs.module.css";
import { formatAgo, formatDuration } from "@/components/runs/format";
import { useNow } from "@/components/runs/use-now";
import { usePeople } from "@/components/runs/use-people";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { isoTitle } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";
import type { DeploymentSpec, DeploymentState } from "@/server/deploy";
import { DeploymentActions } from "./deployment-actions";
import { ACTIVE_PHASES, kindLabel, releaseArtifact, requester, shortDigest, shortSha, type DeploymentDetail } from "./format";
import { GovernancePanel } from "./governance-panel";
import { MetricsCharts } from "./metrics-charts";
import { PhaseBadge } from "./phase-badge";
import { StrategySteps } from "./strategy-steps";
import { TrafficBar } from "./traffic-bar";
import styles from "./deployments.module.css";
import { useDeployment } from "./use-deployment";

export function DeploymentPage({ slug, deploymentId }: { slug: string; deploymentId: string }) {
  return <ProjectFrame slug={slug} tab="deployments">{(project) => <DeploymentView project={project} deploymentId={deploymentId} />}</ProjectFrame>;
}

const liveLabel = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", failed: "Not live" } as const;

function DeploymentView({ project, deploymentId }: { project: ProjectWithRole; deploymentId: string }) {
  const { query, samples, metricsProblem, live } = useDeployment(project.id, deploymentId);
  const name = usePeople(project.id);
  const d = query.data;
  const active = d ? ACTIVE_PHASES.includes(d.phase) || d.phase === "queued" : false;
  const now = useNow(active);
  if (query.isPending) return <Loading label="Loading the deployment…" />;
  if (query.isError || !d) return <QueryError error={query.error!} title="This deployment could not be loaded." onRetry={() => void query.refetch()} />;
  const spec = d.spec as unknown as DeploymentSpec;
  const state = d.state as unknown as DeploymentState | null;
  const base = `/projects/${project.slug}`;
  const stable = state?.stableVersion ?? d.previousRelease?.version ?? null;
  const failedOutcome = ["rolled_back", "failed", "aborted"].includes(d.phase);

  return (
    <div className="stack">
      <nav className="small">
        <Link href={`${base}/deployments`}>← All environments</Link>
      </nav>
      <header className="card stack" style={{ gap: "0.5rem" }}>
        <div className="spread" style={{ flexWrap: "wrap" }}>
          <div className="row">
            <h2 style={{ margin: 0 }}>
              {kindLabel[d.kind]} of {d.release.version} to {d.environment.name}
            </h2>
            <PhaseBadge phase={d.phase} testId="deployment-phase" />
            <span className={`${runStyles.liveDot} ${live.state === "live" ? runStyles.on : ""}`} title={live.problem}>
              {liveLabel[live.state]}
            </span>
          </div>
        </div>
        <p style={{ margin: 0 }} data-testid="deployment-message">
          {d.message}
        </p>
        {d.position !== null && (d.position > 1 || d.governance?.status !== "held") && (
          <p className="notice" style={{ margin: 0 }} data-testid="queue-position">
            Waiting in line: position {d.position} for {d.environment.name}. It starts when the deployments ahead of it end, oldest first.
          </p>
        )}
        {d.reason && (
          <p className={`notice ${failedOutcome ? "error" : ""}`} role={failedOutcome ? "alert" : undefined} style={{ margin: 0 }} data-testid="deployment-reason">
            {d.phase === "rolled_back" ? "Rolled back automatically: " : d.phase === "aborted" ? "Aborted: " : d.phase === "failed" ? "Failed: " : ""}
            {d.reason}
          </p>
        )}
        <div className={runStyles.meta}>
          <span>
            {spec.strategy}, {spec.replicas} {spec.replicas === 1 ? "instance" : "instances"}
          </span>
          <span>requested by {requester(d, name)}</span>
          <span title={isoTitle(d.createdAt)}>{formatAgo(d.createdAt, now)}</span>
          {d.startedAt && (
            <span>
              {d.finishedAt ? "took" : "running for"} <strong>{formatDuration(d.startedAt, d.finishedAt, now)}</strong>
            </span>
          )}
          {d.runId && <Link href={`${base}/runs/${d.runId}`}>from a pipeline run</Link>}
        </div>
        <dl className={styles.facts}>
          <dt>release</dt>
          <dd>
            <Link href={`${base}/releases/${d.release.id}`}>
              {d.release.version} (#{d.release.number})
            </Link>{" "}
            commit {shortSha(d.release.commitSha)} · <span title={releaseArtifact(d.release).value}>{shortDigest(releaseArtifact(d.release).value)}</span>
          </dd>
          <dt>replacing</dt>
          <dd>{d.previousRelease ? <Link href={`${base}/releases/${d.previousRelease.id}`}>{d.previousRelease.version}</Link> : "nothing (the first deployment here)"}</dd>
        </dl>
        <DeploymentActions project={project} deployment={d} />
      </header>

      <GovernancePanel project={project} deployment={d} />

      <div className={styles.pageGrid}>
        <section className="card stack" aria-labelledby="steps-title">
          <h3 id="steps-title" style={{ margin: 0 }}>
            Steps
          </h3>
          <StrategySteps spec={spec} state={state} phase={d.phase} traffic={d.traffic} />
        </section>
        <section className="card stack" aria-labelledby="traffic-title">
          <h3 id="traffic-title" style={{ margin: 0 }}>
            Traffic
          </h3>
          <TrafficBar traffic={d.traffic} newVersion={d.release.version} stableVersion={stable} />
          <MetricsCharts samples={samples} versions={[stable, d.release.version].filter((v): v is string => v !== null)} problem={metricsProblem} />
        </section>
      </div>

      {(spec.strategy === "canary" && spec.steps.some((s) => "analysis" in s)) || d.analysis.length > 0 ? (
        <section className="card stack" aria-labelledby="analysis-title">
          <h3 id="analysis-title" style={{ margin: 0 }}>
            Analysis
          </h3>
          {d.analysis.length === 0 ? (
            <p className="small muted">No analysis step has run yet.</p>
          ) : (
            <ul className="stack" style={{ listStyle: "none", padding: 0, margin: 0, gap: "0.3rem" }} data-testid="analysis">
              {d.analysis.map((event) => {
                const verdict = (event.data as { verdict?: string } | null)?.verdict ?? "inconclusive";
                return (
                  <li key={event.id} className={styles.verdict} data-verdict={verdict}>
                    <span className={`badge ${verdict === "pass" ? "ok" : verdict === "fail" ? "bad" : ""}`}>{verdict === "pass" ? "✓ pass" : verdict === "fail" ? "✕ fail" : "… waiting"}</span>
                    <span>{event.message}</span>
                    <time className="small muted" dateTime={new Date(event.at).toISOString()}>
                      {new Date(event.at).toLocaleTimeString()}
                    </time>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      ) : null}

      <section className="card stack" aria-labelledby="history-title">
        <h3 id="history-title" style={{ margin: 0 }}>
          History
        </h3>
        <History deployment={d} />
      </section>
    </div>
  );
}

function History({ deployment }: { deployment: DeploymentDetail }) {
  if (deployment.events.length === 0) return <p className="small muted">Nothing has happened yet.</p>;
  return (
    <ol className={styles.history} data-testid="deployment-history">
      {deployment.events.map((event) => (
        <li key={event.id} data-kind={event.kind}>
          <time dateTime={new Date(event.at).toISOString()}>{new Date(event.at).toLocaleTimeString()}</time>
          <span className={styles.kind}>{event.kind}</span>
          <span className={event.kind === "error" || event.kind === "rollback" ? "form-error" : undefined}>{event.message}</span>
        </li>
      ))}
    </ol>
  );
}
