"use client";

import { isoTitle } from "@/components/ui/format";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { formatAgo, formatDuration, messageTitle, shortSha, triggerLabel, ACTIVE_RUN, type RunDetail } from "./format";
import { RunActions } from "./run-actions";
import styles from "./runs.module.css";
import { StatusBadge } from "./status-badge";
import type { LiveState } from "./use-run-events";
import { useNow } from "./use-now";
import { usePeople } from "./use-people";

type Props = { project: ProjectWithRole; run: RunDetail; live: { state: LiveState; problem?: string }; canAct: boolean };

const liveLabel: Record<LiveState, string> = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", failed: "Not live" };

export function RunHeader({ project, run, live, canAct }: Props) {
  const active = ACTIVE_RUN.includes(run.status);
  const now = useNow(active);
  const who = usePeople(project.id)(run.triggeredBy);
  const title = messageTitle(run.event.message);
  const inputs = Object.entries(run.inputs);
  return (
    <header className="card stack" style={{ gap: "0.5rem" }}>
      <div className="spread" style={{ flexWrap: "wrap" }}>
        <div className="row">
          <h2 style={{ margin: 0 }}>Run #{run.number}</h2>
          <StatusBadge status={run.status} testId="run-status" />
          <span className={`${styles.liveDot} ${live.state === "live" ? styles.on : ""}`} title={live.problem}>
            {liveLabel[live.state]}
          </span>
        </div>
        {canAct && <RunActions project={project} run={run} />}
      </div>
      {title && <div style={{ fontWeight: 500 }}>{title}</div>}
      <div className={styles.meta}>
        <span>
          {triggerLabel(run.trigger)}
          {who && ` by ${who}`}
        </span>
        {(run.branch || run.tag) && <span className={styles.ref}>{run.tag ? `tag ${run.tag}` : run.branch}</span>}
        <span>
          commit <code title={run.commitSha}>{shortSha(run.commitSha)}</code>
        </span>
        <span title={isoTitle(run.startedAt ?? run.createdAt)}>{run.startedAt ? `started ${formatAgo(run.startedAt, now)}` : "not started yet"}</span>
        <span>
          duration <strong>{formatDuration(run.startedAt, run.finishedAt, now)}</strong>
        </span>
      </div>
      {live.state === "failed" && live.problem && <p className="form-error" style={{ margin: 0 }}>{live.problem}</p>}
      {inputs.length > 0 && (
        <dl className={styles.inputs} aria-label="Inputs">
          {inputs.map(([name, value]) => (
            <div key={name} style={{ display: "contents" }}>
              <dt>{name}</dt>
              <dd>{String(value)}</dd>
            </div>
          ))}
        </dl>
      )}
    </header>
  );
}
