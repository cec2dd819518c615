"use client";

import { useState } from "react";
import { usePeople } from "@/components/runs/use-people";
import { trpc } from "@/components/providers/trpc";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { formatDateTime, isoTitle } from "@/components/ui/format";
import { QueryError } from "@/components/ui/query-state";

/** Every saved revision, newest first; restoring one saves its content again as a new revision. */
export function RevisionsList({ projectId, canRestore }: { projectId: string; canRestore: boolean }) {
  const utils = trpc.useUtils();
  const revisions = trpc.pipelines.revisions.useQuery({ projectId });
  const people = usePeople(projectId);
  const [restoring, setRestoring] = useState<number | null>(null);
  const restore = trpc.pipelines.restore.useMutation({
    onSuccess: async () => {
      setRestoring(null);
      await Promise.all([utils.pipelines.get.invalidate({ projectId }), utils.pipelines.revisions.invalidate({ projectId })]);
    },
  });
  if (revisions.isError) return <QueryError error={revisions.error} title="Revisions could not be loaded." onRetry={() => void revisions.refetch()} />;
  const rows = revisions.data ?? [];
  const latest = rows[0]?.number;
  return (
    <section className="stack" aria-labelledby="revisions-title">
      <h3 id="revisions-title" style={{ margin: 0 }}>
        Revisions
      </h3>
      {revisions.isPending ? (
        <p className="muted">Loading revisions…</p>
      ) : rows.length === 0 ? (
        <p className="muted small" style={{ margin: 0 }}>
          No revision saved in Slipway yet.
        </p>
      ) : (
        <table aria-label="Revisions">
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">Message</th>
              <th scope="col">Saved</th>
              {canRestore && <th scope="col">Restore</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.number}>
                <td>
                  {r.number}
                  {r.number === latest && <span className="badge" style={{ marginLeft: "0.4rem" }}>latest</span>}
                </td>
                <td>{r.message || <span className="muted">(no message)</span>}</td>
                <td title={isoTitle(r.createdAt)}>
                  {formatDateTime(r.createdAt)}
                  {people(r.createdBy) && <span className="muted small"> by {people(r.createdBy)}</span>}
                </td>
                {canRestore && (
                  <td>{r.number !== latest && <button type="button" onClick={() => (restore.reset(), setRestoring(r.number))}>Restore</button>}</td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog
        open={restoring !== null}
        title={`Restore revision ${restoring}?`}
        confirmLabel="Restore"
        pending={restore.isPending}
        error={restore.error ? readableMessage(restore.error) : null}
        onConfirm={() => restoring !== null && restore.mutate({ projectId, number: restoring })}
        onCancel={() => setRestoring(null)}
      >
        <p style={{ margin: 0 }}>Its content is saved as a new revision on top; nothing is deleted. Unsaved edits in the editor are discarded.</p>
      </ConfirmDialog>
    </section>
  );
}
