"use client";

import { LogViewer } from "@/components/log-viewer/log-viewer";
import type { JobDetail } from "./format";
import styles from "./runs.module.css";
import { StatusBadge } from "./status-badge";

const waitingFor: Record<string, string> = {
  pending: "This job waits for the jobs it needs.",
  queued: "Waiting for a worker to pick this job up…",
  skipped: "This job was skipped and wrote no log.",
};

/** The selected job's live log, under its name and status. */
export function JobLogPanel({ job }: { job: JobDetail }) {
  return (
    <section aria-labelledby="job-log-title">
      <div className={styles.logHeader}>
        <h3 id="job-log-title">{job.name}</h3>
        <StatusBadge status={job.status} testId="selected-job-status" />
        {job.attempt > 1 && <span className="badge">attempt {job.attempt}</span>}
      </div>
      {/* A new viewer per job: its lines, search and scroll belong to that job alone. */}
      <LogViewer key={job.id} jobId={job.id} attempt={job.attempt} label={`Log of ${job.name}`} waiting={waitingFor[job.status]} />
    </section>
  );
}
