"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import { formatDuration, ACTIVE_RUN, type JobDetail, type RunDetail } from "./format";
import styles from "./runs.module.css";
import { StatusBadge } from "./status-badge";
import { useNow } from "./use-now";

type Props = { project: ProjectWithRole; run: RunDetail; selectedKey: string | null; onSelect: (key: string) => void; canAct: boolean };

/** The plan's stages (jobs whose longest chain of needs is as long), falling back to one group. */
function stagesOf(run: RunDetail): JobDetail[][] {
  const stages = (run.plan as { stages?: string[][] } | null)?.stages;
  const byKey = new Map(run.jobs.map((j) => [j.key, j]));
  if (!stages?.length) return [run.jobs];
  const grouped = stages.map((keys) => keys.map((k) => byKey.get(k)).filter((j): j is JobDetail => Boolean(j)));
  const placed = new Set(stages.flat());
  const rest = run.jobs.filter((j) => !placed.has(j.key));
  return (rest.length ? [...grouped, rest] : grouped).filter((g) => g.length > 0);
}

export function JobList({ project, run, selectedKey, onSelect, canAct }: Props) {
  const runActive = ACTIVE_RUN.includes(run.status);
  const now = useNow(runActive);
  const rerun = trpc.runs.rerunJob.useMutation();
  const [rerunning, setRerunning] = useState<string | null>(null);
  const local = run.jobs.some((j) => j.executor === "local");
  return (
    <nav aria-label="Jobs" className="stack" style={{ gap: "0.25rem" }}>
      {stagesOf(run).map((jobs, i) => (
        <div key={i} className={styles.stage}>
          <h3 className={styles.stageTitle}>Stage {i + 1}</h3>
          <ul className={styles.jobs}>
            {jobs.map((job) => (
              <li key={job.id} className={styles.job} aria-current={job.key === selectedKey ? "true" : undefined} data-job={job.key}>
                <button type="button" className={styles.jobButton} onClick={() => onSelect(job.key)} aria-label={`${job.name}: ${job.status}, show log`}>
                  <span className={styles.jobTop}>
                    <span className={styles.jobName}>{job.name}</span>
                    <StatusBadge status={job.status} testId={`job-status-${job.key}`} />
                  </span>
                  <span className={styles.jobInfo}>
                    <span>{formatDuration(job.startedAt, job.finishedAt, now)}</span>
                    {job.executor && (
                      <span className={`${styles.executor} ${job.executor === "local" ? styles.local : ""}`} title={`Ran on the ${job.executor} executor`}>
                        {job.executor}
                      </span>
                    )}
                    {job.attempt > 1 && <span>attempt {job.attempt}</span>}
                  </span>
                  {job.reason && ["failed", "skipped", "cancelled"].includes(job.status) && (
                    <span className={`${styles.reason} ${job.status === "failed" ? styles.failed : ""}`}>{job.reason}</span>
                  )}
                </button>
                {canAct && !runActive && (
                  <div className={styles.jobActions}>
                    <button
                      type="button"
                      disabled={rerun.isPending}
                      onClick={() => (setRerunning(job.key), rerun.mutate({ projectId: project.id, runId: run.id, jobKey: job.key }))}
                    >
                      {rerun.isPending && rerunning === job.key ? "Starting again…" : "Re-run this job"}
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </div>
      ))}
      {rerun.error && <FormError message={readableMessage(rerun.error)} />}
      {local && (
        <p className="notice small" style={{ margin: "0.5rem 0 0" }}>
          <strong>Local executor: weaker isolation.</strong> Jobs marked <code>local</code> ran as processes on the worker&apos;s machine, without a container
          around them.
        </p>
      )}
    </nav>
  );
}
