"use client";

import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { plural } from "@/components/ui/format";
import type { JobFlowNode } from "./flow-model";
import styles from "./graph.module.css";

/**
 * One job on the canvas: what it runs on, how much it does, and what is wrong with it.
 * It draws only from its data and selection, so it does not render again for a new
 * position: dragging a node moves its frame, and nothing inside it is drawn again.
 */
export const JobNode = memo(JobNodeView, (a, b) => a.data === b.data && a.selected === b.selected && a.isConnectable === b.isConnectable);

function JobNodeView({ data, selected }: NodeProps<JobFlowNode>) {
  const { job, errors, warnings } = data;
  const where = job.image ?? job.runsOn?.join(", ") ?? "default executor";
  const title = errors.length ? errors.join("\n") : warnings.join("\n") || undefined;
  return (
    <div
      className={`${styles.node} ${selected ? styles.selected : ""} ${errors.length ? styles.invalid : ""}`}
      title={title}
      aria-label={`Job ${job.name ?? job.id}${errors.length ? `, ${plural(errors.length, "error")}` : ""}`}
    >
      <Handle type="target" position={Position.Left} className={styles.handle} aria-label={`Needs of ${job.id}`} />
      <div className={styles.head}>
        <strong className={styles.name}>{job.name ?? job.id}</strong>
        {job.environment && <span className={`${styles.pill} ${styles.env}`}>{job.environment}</span>}
      </div>
      <div className={styles.meta}>
        <code>{job.id}</code> · {where}
      </div>
      <div className={styles.meta}>
        {job.isDeploy ? "deploy" : plural(job.stepCount, "step")}
        {job.matrixSize > 1 && <span className={styles.pill}>matrix ×{job.matrixSize}</span>}
        {errors.length > 0 && <span className={`${styles.pill} ${styles.error}`}>{plural(errors.length, "error")}</span>}
        {errors.length === 0 && warnings.length > 0 && <span className={`${styles.pill} ${styles.warning}`}>{plural(warnings.length, "warning")}</span>}
      </div>
      <Handle type="source" position={Position.Right} className={styles.handle} aria-label={`Make a job need ${job.id}`} />
    </div>
  );
}
