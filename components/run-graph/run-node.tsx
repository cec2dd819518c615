"use client";

import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import Link from "next/link";
import { memo } from "react";
import styles from "@/components/pipeline-editor/graph.module.css";
import { formatDuration } from "@/components/runs/format";
import type { RunGroup, RunJob } from "./run-model";

export type RunNodeData = {
  group: RunGroup;
  now: number;
  critical: boolean;
  expanded: boolean;
  selectedJob: string | null;
  onOpenJob: (job: RunJob) => void;
  /** Where a job's log is on the run page. */
  logHref: (job: RunJob) => string;
};
export type RunFlowNode = Node<RunNodeData, "run">;

const LABELS: Record<string, { icon: string; label: string }> = {
  pending: { icon: "◷", label: "Waiting" },
  queued: { icon: "◷", label: "Queued" },
  running: { icon: "●", label: "Running" },
  succeeded: { icon: "✓", label: "Succeeded" },
  failed: { icon: "✕", label: "Failed" },
  cancelled: { icon: "⊘", label: "Cancelled" },
  skipped: { icon: "↷", label: "Skipped" },
};

export const stateLabel = (status: string) => LABELS[status] ?? { icon: "?", label: status };

/** A job of the run: its state (icon and word, never colour alone), how long it took, its matrix runs when expanded. */
export const RunNode = memo(function RunNode({ data }: NodeProps<RunFlowNode>) {
  const { group, now, critical, expanded, selectedJob, onOpenJob, logHref } = data;
  const state = stateLabel(group.status);
  const matrix = group.jobs.length > 1;
  const done = group.jobs.filter((j) => ["succeeded", "failed", "cancelled", "skipped"].includes(j.status)).length;
  const selected = group.jobs.some((j) => j.id === selectedJob);
  return (
    <div style={{ position: "relative" }}>
      <div
        className={`${styles.node} ${styles[`state-${group.status}`]} ${critical ? styles.critical : ""} ${selected ? styles.selected : ""}`}
        data-status={group.status}
        aria-label={`${group.name}: ${state.label}`}
      >
        <Handle type="target" position={Position.Left} isConnectable={false} className={styles.quietHandle} />
        <div className={styles.head}>
          <strong className={styles.name}>{group.name}</strong>
          {critical && <span className={`${styles.pill} ${styles.warning}`}>critical</span>}
        </div>
        <div className={styles.meta} data-testid="job-state">
          {group.status === "running" ? <span className={styles["running-dot"]} aria-hidden /> : <span aria-hidden>{state.icon}</span>}
          {state.label}
          <span>· {formatDuration(group.startedAt, group.finishedAt, now)}</span>
        </div>
        <div className={styles.meta}>
          {matrix ? (
            <span className={styles.pill}>
              matrix {done}/{group.jobs.length} {expanded ? "▴" : "▾"}
            </span>
          ) : (
            <>
              <span className={styles.grow}>{group.jobs[0].attempt > 1 ? `attempt ${group.jobs[0].attempt}` : group.jobs[0].reason ?? "click for the log"}</span>
              <LogLink href={logHref(group.jobs[0])} name={group.name} />
            </>
          )}
        </div>
        <Handle type="source" position={Position.Right} isConnectable={false} className={styles.quietHandle} />
      </div>
      {matrix && expanded && (
        <ul className={styles.matrixList} aria-label={`Matrix runs of ${group.name}`}>
          {group.jobs.map((job) => (
            <li key={job.id}>
              <button
                type="button"
                className="nodrag"
                onClick={(event) => {
                  // The node itself toggles the list on click; choosing a run must not fold it away.
                  event.stopPropagation();
                  onOpenJob(job);
                }} data-status={job.status} aria-pressed={job.id === selectedJob}>
                <span aria-hidden>{stateLabel(job.status).icon}</span> {job.name} · {formatDuration(job.startedAt, job.finishedAt, now)}
              </button>
              <LogLink href={logHref(job)} name={job.name} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
});

/** The job's log on the run page. A click on it goes there, not to the log beside the graph. */
function LogLink({ href, name }: { href: string; name: string }) {
  return (
    <Link href={href} className={`${styles.logLink} nodrag nopan`} onClick={(event) => event.stopPropagation()} aria-label={`Log of ${name} on the run page`}>
      log ↗
    </Link>
  );
}
