"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import { formatDateTime } from "@/components/ui/format";
import { FormError } from "@/components/ui/form-controls";
import { Loading, QueryError } from "@/components/ui/query-state";
import type { RouterOutputs } from "@/components/ui/api-types";
import styles from "./editor.module.css";
import { RevisionDiff } from "./revision-diff";

export type SavedRevision = RouterOutputs["pipelines"]["save"];

type Props = { projectId: string; canRestore: boolean; dirty: boolean; onRestored: (revision: SavedRevision) => void };

/** The revision history: pick two to compare their YAML, restore an old one as a new revision. */
export function RevisionsPanel({ projectId, canRestore, dirty, onRestored }: Props) {
  const revisions = trpc.pipelines.revisions.useQuery({ projectId });
  const [picked, setPicked] = useState<{ from: number | null; to: number | null }>({ from: null, to: null });
  const list = revisions.data ?? [];
  const to = picked.to ?? list[0]?.number ?? null;
  const from = picked.from ?? list[1]?.number ?? null;
  const before = trpc.pipelines.revision.useQuery({ projectId, number: from ?? 1 }, { enabled: from !== null });
  const after = trpc.pipelines.revision.useQuery({ projectId, number: to ?? 1 }, { enabled: to !== null });
  const restore = trpc.pipelines.restore.useMutation({ onSuccess: onRestored });

  if (revisions.isPending) return <Loading label="Loading revisions…" />;
  if (revisions.isError) return <QueryError error={revisions.error} onRetry={() => void revisions.refetch()} />;
  if (list.length === 0) return <p className="small muted">No revision saved yet: the first save makes revision 1.</p>;
  return (
    <section className={styles.revisions} aria-label="Revisions">
      <table>
        <thead>
          <tr>
            <th>Compare</th>
            <th>Revision</th>
            <th>Message</th>
            <th>Saved</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((r) => (
            <tr key={r.number}>
              <td>
                <input type="radio" name="diff-from" aria-label={`Compare from revision ${r.number}`} checked={from === r.number} onChange={() => setPicked({ from: r.number, to })} />
                <input type="radio" name="diff-to" aria-label={`Compare to revision ${r.number}`} checked={to === r.number} onChange={() => setPicked({ from, to: r.number })} />
              </td>
              <td>#{r.number}</td>
              <td>{r.message || <span className="muted">—</span>}</td>
              <td className="small">{formatDateTime(r.createdAt)}</td>
              <td>
                {canRestore && r.number !== list[0].number && (
                  <button
                    type="button"
                    disabled={restore.isPending}
                    onClick={() => {
                      const ok = !dirty || window.confirm("Restoring replaces your unsaved changes. Restore anyway?");
                      if (ok) restore.mutate({ projectId, number: r.number });
                    }}
                  >
                    Restore
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <FormError message={restore.error?.message} />
      {from !== null && to !== null && before.data && after.data ? (
        <>
          <h3 className={styles.subhead}>
            Revision {from} → revision {to}
          </h3>
          <RevisionDiff before={before.data.yaml} after={after.data.yaml} label={`Changes from revision ${from} to revision ${to}`} />
        </>
      ) : (
        list.length > 1 && <Loading label="Loading the two revisions…" />
      )}
    </section>
  );
}
