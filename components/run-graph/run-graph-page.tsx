"use client";

import { ReactFlowProvider } from "@xyflow/react";
import Link from "next/link";
import { useMemo, useState } from "react";
import { ProjectFrame } from "@/components/projects/project-frame";
import { LogViewer } from "@/components/log-viewer/log-viewer";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { formatDuration } from "@/components/runs/format";
import { useNow } from "@/components/runs/use-now";
import { RerunJobButton, RunActions } from "./run-actions";
import { RunCanvas } from "./run-canvas";
import { criticalPath, groupJobs, type RunJob } from "./run-model";
import { stateLabel } from "./run-node";
import styles from "./run-graph.module.css";
import { useRunLive } from "./use-run-live";

export function RunGraphPage({ slug, runId }: { slug: string; runId: string }) {
  return <ProjectFrame slug={slug} tab="runs">{(project) => <RunGraph project={project} runId={runId} />}</ProjectFrame>;
}

function RunGraph({ project, runId }: { project: ProjectWithRole; runId: string }) {
  const { query, connection } = useRunLive(project.id, runId);
  const [openJobId, setOpenJobId] = useState<string | null>(null);
  const [showCritical, setShowCritical] = useState(true);
  const run = query.data;
  const active = run?.status === "queued" || run?.status === "running";
  const now = useNow(!!active);
  const { groups, edges } = useMemo(() => groupJobs((run?.jobs ?? []) as RunJob[]), [run?.jobs]);
  const critical = useMemo(() => (showCritical ? criticalPath(groups, edges, now) : []), [showCritical, groups, edges, now]);

  if (query.isPending) return <Loading label="Loading the run…" />;
  if (query.isError || !run) return query.error ? <QueryError error={query.error} title="This run could not be opened." /> : null;
  const openJob = run.jobs.find((j) => j.id === openJobId) ?? null;
  const state = stateLabel(run.status);
  const logHref = (job: { key: string }) => `/projects/${project.slug}/runs/${run.number}?job=${encodeURIComponent(job.key)}`;

  return (
    <div className={styles.page}>
      <div className={styles.header}>
        <h2 style={{ margin: 0 }}>
          Run #{run.number} <span data-testid="run-status" data-status={run.status}>{state.icon} {state.label}</span>
        </h2>
        <span className="muted small">
          {formatDuration(run.startedAt, run.finishedAt, now)} · <code>{run.commitSha.slice(0, 7)}</code>
          {run.branch && <> on {run.branch}</>} · updates {connection === "live" ? "live" : connection}
        </span>
        <Link href={`/projects/${project.slug}/runs/${run.number}`}>Run details</Link>
        <label className="row small" style={{ gap: "0.3rem" }}>
          <input type="checkbox" checked={showCritical} onChange={(e) => setShowCritical(e.target.checked)} /> Highlight the critical path
        </label>
        <RunActions projectId={project.id} run={run} allowed={hasRole(project.role, "developer")} />
      </div>
      <div className={`${styles.body} ${openJob ? styles.withLog : ""}`}>
        <div className={styles.canvas}>
          <ReactFlowProvider>
            <RunCanvas groups={groups} edges={edges} critical={critical} now={now} selectedJob={openJobId} onOpenJob={(job) => setOpenJobId(job.id)} logHref={logHref} />
          </ReactFlowProvider>
        </div>
        {openJob && (
          <section className={styles.log} aria-label={`Log of ${openJob.name}`}>
            <div className="spread">
              <strong>
                {openJob.name} · {stateLabel(openJob.status).label}
              </strong>
              <div className="row" style={{ gap: "0.4rem" }}>
                <Link href={logHref(openJob)}>Open on the run page</Link>
                {hasRole(project.role, "developer") && <RerunJobButton projectId={project.id} run={run} jobKey={openJob.key} />}
                <button type="button" onClick={() => setOpenJobId(null)} aria-label="Close the log">
                  Close
                </button>
              </div>
            </div>
            {openJob.reason && <p className="small muted" style={{ margin: 0 }}>{openJob.reason}</p>}
            <div className={styles.logBody}>
              <LogViewer key={openJob.id} jobId={openJob.id} attempt={openJob.attempt} label={openJob.name} waiting={openJob.status === "pending" || openJob.status === "queued" ? "The job has not started yet." : undefined} />
            </div>
          </section>
        )}
      </div>
    </div>
  );
}
