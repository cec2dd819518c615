"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { formatDateTime, isoTitle } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";
import { scopeLabel, type SecretRow, type SecretTarget } from "./types";

type Props = { project: ProjectWithRole; canManage: boolean; onReplace: (target: SecretTarget) => void };

/** Names and scopes only: there is no value to show, the API never sends one. */
export function SecretList({ project, canManage, onReplace }: Props) {
  const secrets = trpc.secrets.list.useQuery({ projectId: project.id });
  const [deleting, setDeleting] = useState<SecretRow | null>(null);
  return (
    <section className="card stack" aria-labelledby="secrets-title">
      <h3 id="secrets-title" style={{ margin: 0 }}>
        Saved secrets
      </h3>
      {secrets.isPending ? (
        <Loading label="Loading secrets…" />
      ) : secrets.isError ? (
        <QueryError error={secrets.error} title="Secrets could not be loaded." onRetry={() => void secrets.refetch()} />
      ) : secrets.data.length === 0 ? (
        <p className="muted" style={{ margin: 0 }}>
          This project has no secrets yet.
        </p>
      ) : (
        <div style={{ overflowX: "auto" }}>
          <table aria-labelledby="secrets-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Applies to</th>
                <th scope="col">Last changed</th>
                {canManage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {secrets.data.map((s) => (
                <tr key={s.id}>
                  <td>
                    <code>{s.name}</code>
                  </td>
                  <td>
                    <span className={s.environmentName ? "badge warn" : "badge"}>{scopeLabel(s)}</span>
                  </td>
                  <td className="small">
                    <span title={isoTitle(s.updatedAt)}>{formatDateTime(s.updatedAt)}</span>
                    {s.updatedBy && <span className="muted"> by {s.updatedBy.name || s.updatedBy.email}</span>}
                  </td>
                  {canManage && (
                    <td>
                      <div className="row" style={{ gap: "0.4rem" }}>
                        <button type="button" onClick={() => onReplace({ name: s.name, environmentId: s.environmentId })} aria-label={`Replace the value of ${s.name} (${scopeLabel(s)})`}>
                          Replace
                        </button>
                        <button type="button" className="danger" onClick={() => setDeleting(s)} aria-label={`Delete ${s.name} (${scopeLabel(s)})`}>
                          Delete
                        </button>
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canManage && <DeleteSecretDialog projectId={project.id} secret={deleting} onClose={() => setDeleting(null)} />}
    </section>
  );
}

function DeleteSecretDialog({ projectId, secret, onClose }: { projectId: string; secret: SecretRow | null; onClose: () => void }) {
  const utils = trpc.useUtils();
  const remove = trpc.secrets.delete.useMutation({
    onSuccess: async () => {
      await utils.secrets.list.invalidate({ projectId });
      onClose();
    },
  });
  function close() {
    remove.reset();
    onClose();
  }
  return (
    <ConfirmDialog
      open={secret !== null}
      title={`Delete the secret ${secret?.name ?? ""}?`}
      confirmLabel="Delete secret"
      pendingLabel="Deleting…"
      danger
      pending={remove.isPending}
      error={remove.error ? readableMessage(remove.error) : null}
      onCancel={close}
      onConfirm={() => secret && remove.mutate({ projectId, environmentId: secret.environmentId, name: secret.name })}
    >
      {secret && (
        <p style={{ margin: 0 }}>
          Jobs {secret.environmentName ? `deploying to ${secret.environmentName}` : "in every environment"} will no longer get <code>{secret.name}</code>
          {secret.environmentName ? " from this environment (a project-wide secret of the same name, if any, applies again)" : ""}. The value cannot
          be recovered.
        </p>
      )}
    </ConfirmDialog>
  );
}
