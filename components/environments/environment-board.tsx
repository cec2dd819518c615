"use client";

import { Fragment, useState } from "react";
import { trpc } from "@/components/providers/trpc";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import { Loading, QueryError } from "@/components/ui/query-state";
import { EnvironmentCard } from "./environment-card";
import styles from "./environments.module.css";
import { moveBy, moveTo } from "./reorder";
import { useReorderEnvironments } from "./use-reorder";

/** The environments in promotion order; maintainers move them with buttons or by dragging. */
export function EnvironmentBoard({ projectId, projectSlug, canManage }: { projectId: string; projectSlug: string; canManage: boolean }) {
  const environments = trpc.environments.list.useQuery({ projectId });
  const reorder = useReorderEnvironments(projectId);
  const [dragged, setDragged] = useState<string | null>(null);
  const [over, setOver] = useState<string | null>(null);

  if (environments.isPending) return <Loading label="Loading environments…" />;
  if (environments.isError) {
    return <QueryError error={environments.error} title="Environments could not be loaded." onRetry={() => void environments.refetch()} />;
  }
  const rows = environments.data;
  const ids = rows.map((e) => e.id);
  const save = (order: string[]) => reorder.mutate({ projectId, environmentIds: order });

  function drop(targetId: string) {
    if (dragged && dragged !== targetId) save(moveTo(ids, ids.indexOf(dragged), ids.indexOf(targetId)));
    setDragged(null);
    setOver(null);
  }

  if (rows.length === 0) {
    return <p className="muted">This project has no environments yet.{canManage ? " Add one below." : ""}</p>;
  }
  return (
    <div className="stack">
      <p className="small" style={{ margin: 0 }}>
        <span className="muted">Promotion order: </span>
        <strong>{rows.map((e) => e.name).join(" → ")}</strong>
        {canManage && <span className="muted"> · drag a card or use its Earlier/Later buttons to change it.</span>}
      </p>
      <ol className={styles.board} aria-label="Environments in promotion order">
        {rows.map((env, index) => (
          <Fragment key={env.id}>
            {index > 0 && (
              <li aria-hidden="true" className={styles.arrow}>
                →
              </li>
            )}
            <li
              className={`${styles.column} ${dragged === env.id ? styles.dragging : ""} ${over === env.id && dragged !== env.id ? styles.dropTarget : ""}`}
              draggable={canManage && !reorder.isPending}
              onDragStart={canManage ? () => setDragged(env.id) : undefined}
              onDragEnd={() => (setDragged(null), setOver(null))}
              onDragOver={canManage ? (e) => (e.preventDefault(), setOver(env.id)) : undefined}
              onDrop={canManage ? (e) => (e.preventDefault(), drop(env.id)) : undefined}
            >
              <EnvironmentCard
                environment={env}
                projectSlug={projectSlug}
                controls={
                  canManage
                    ? {
                        isFirst: index === 0,
                        isLast: index === rows.length - 1,
                        busy: reorder.isPending,
                        onMove: (delta) => save(moveBy(ids, index, delta)),
                      }
                    : undefined
                }
              />
            </li>
          </Fragment>
        ))}
      </ol>
      <p role="status" className="small muted" aria-live="polite">
        {reorder.isPending ? "Saving the new order…" : reorder.isSuccess ? "Order saved." : ""}
      </p>
      {reorder.isError && <FormError message={`The order was not saved: ${readableMessage(reorder.error)}`} />}
    </div>
  );
}
