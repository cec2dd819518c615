"use client";

import Link from "next/link";
import { useState } from "react";
import { ProjectFrame } from "@/components/projects/project-frame";
import runStyles from "@/components/runs/runs.module.css";
import { useNow } from "@/components/runs/use-now";
import { usePeople } from "@/components/runs/use-people";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { DeployDialog, PromoteDialog, RollbackDialog, type Requested } from "./change-dialog";
import { EnvironmentColumn } from "./environment-column";
import type { BoardColumn } from "./format";
import styles from "./deployments.module.css";
import { useBoard } from "./use-board";

export function DeploymentsPage({ slug }: { slug: string }) {
  return <ProjectFrame slug={slug} tab="deployments">{(project) => <EnvironmentsBoard project={project} />}</ProjectFrame>;
}

type Open = { kind: "promote" | "deploy" | "rollback"; column: BoardColumn } | null;

const liveLabel = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", failed: "Not live" } as const;

/** One column per environment in promotion order, kept live; each change asks for confirmation showing what it changes. */
export function EnvironmentsBoard({ project }: { project: ProjectWithRole }) {
  const { query, live } = useBoard(project.id);
  const name = usePeople(project.id);
  const now = useNow(true, 15_000);
  const [open, setOpen] = useState<Open>(null);
  const [requested, setRequested] = useState<{ text: string; id: string } | null>(null);
  const roleBlock = hasRole(project.role, "maintainer") ? null : `Deploying needs the maintainer role; you are a ${project.role}.`;

  if (query.isPending) return <Loading label="Loading environments…" />;
  if (query.isError) return <QueryError error={query.error} title="The environments could not be loaded." onRetry={() => void query.refetch()} />;
  const { columns, releaseCount } = query.data;
  const done = (text: string) => (deployment: Requested) => {
    setOpen(null);
    const line = deployment.phase === "queued" ? `${text}; it waits in line (position ${deployment.position ?? 1}).` : deployment.phase === "succeeded" ? `${text}: it was already live.` : `${text}.`;
    setRequested({ text: line, id: deployment.id });
  };

  return (
    <section className="stack" aria-labelledby="board-title">
      <div className="spread">
        <div className="row">
          <h2 id="board-title" style={{ margin: 0 }}>
            Deployments
          </h2>
          <span className={`${runStyles.liveDot} ${live.state === "live" ? runStyles.on : ""}`} title={live.problem} data-testid="board-live">
            {liveLabel[live.state]}
          </span>
        </div>
        <Link href={`/projects/${project.slug}/releases`}>{releaseCount === 1 ? "1 release" : `${releaseCount} releases`} →</Link>
      </div>
      {live.state === "failed" && live.problem && <p className="form-error">{live.problem}</p>}
      {columns.length === 0 ? (
        <p className="muted">This project has no environments yet; add them on the Overview tab.</p>
      ) : (
        <>
          <p className="small muted" style={{ margin: 0 }}>
            Promotion order: <strong>{columns.map((c) => c.environment.name).join(" → ")}</strong>
          </p>
          <ol className={styles.board} aria-label="Environments in promotion order">
            {columns.map((column) => (
              <EnvironmentColumn
                key={column.environment.id}
                column={column}
                projectSlug={project.slug}
                roleBlock={roleBlock}
                now={now}
                name={name}
                onPromote={() => setOpen({ kind: "promote", column })}
                onDeploy={() => setOpen({ kind: "deploy", column })}
                onRollback={() => setOpen({ kind: "rollback", column })}
              />
            ))}
          </ol>
        </>
      )}
      <p role="status" aria-live="polite" className="small" data-testid="board-notice">
        {requested && (
          <>
            {requested.text} <Link href={`/projects/${project.slug}/deployments/${requested.id}`}>Follow it</Link>
          </>
        )}
      </p>
      {open && <ChangeDialogFor open={open} project={project} columns={columns} onClose={() => setOpen(null)} done={done} />}
    </section>
  );
}

function ChangeDialogFor({ open, project, columns, onClose, done }: { open: NonNullable<Open>; project: ProjectWithRole; columns: BoardColumn[]; onClose: () => void; done: (text: string) => (d: Requested) => void }) {
  // The column as the board shows it now (it may have changed since the dialog opened).
  const column = columns.find((c) => c.environment.id === open.column.environment.id) ?? open.column;
  const env = { id: column.environment.id, name: column.environment.name };
  if (open.kind === "promote" && column.current && column.promote.to) {
    const release = column.current;
    return <PromoteDialog project={project} release={release} from={env} to={column.promote.to} onClose={onClose} onDone={done(`Promotion of ${release.version} to ${column.promote.to.name} started`)} />;
  }
  if (open.kind === "deploy") return <DeployDialog project={project} environment={env} currentId={column.current?.id ?? null} onClose={onClose} onDone={done(`Deployment to ${env.name} started`)} />;
  if (open.kind === "rollback" && column.current && column.rollback.to) {
    return <RollbackDialog project={project} environment={env} current={column.current} previous={column.rollback.to} onClose={onClose} onDone={done(`Rollback of ${env.name} started`)} />;
  }
  return null;
}
