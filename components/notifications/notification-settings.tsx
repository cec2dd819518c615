"use client";

import Link from "next/link";
import { useState } from "react";
import { ProjectFrame } from "@/components/projects/project-frame";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { formatDateTime, isoTitle } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { CopyField } from "@/components/webhooks/copy-field";
import { HookDeliveryLog } from "./hook-delivery-log";
import { HookForm } from "./hook-form";

/** Project settings → Notifications: the outgoing webhooks, each with its delivery log. */
export function NotificationSettings({ slug }: { slug: string }) {
  return (
    <ProjectFrame slug={slug} tab="settings">
      {(project) =>
        hasRole(project.role, "maintainer") ? (
          <NotificationHooks project={project} />
        ) : (
          <p className="notice">Only maintainers and admins of this project manage its notifications.</p>
        )
      }
    </ProjectFrame>
  );
}

function NotificationHooks({ project }: { project: ProjectWithRole }) {
  const utils = trpc.useUtils();
  const hooks = trpc.notifications.hooks.useQuery({ projectId: project.id });
  const [revealed, setRevealed] = useState<{ name: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const remove = trpc.notifications.deleteHook.useMutation({
    onSuccess: async () => {
      setDeleting(null);
      await utils.notifications.hooks.invalidate({ projectId: project.id });
    },
  });

  return (
    <div className="stack">
      <nav aria-label="Settings" className="small">
        <Link href={`/projects/${project.slug}/settings`}>Settings</Link> / Notifications
      </nav>
      <section className="card stack" aria-labelledby="hooks-title">
        <h2 id="hooks-title" style={{ margin: 0 }}>
          Notification webhooks
        </h2>
        <p className="muted small" style={{ margin: 0 }}>
          Slipway POSTs run, deployment and approval events to these URLs, as generic JSON or as Slack or Microsoft Teams messages, each signed with the
          hook&apos;s secret in <code>X-Slipway-Signature</code> (HMAC-SHA256 over <code>timestamp.body</code>). A failed delivery is tried again with backoff.
        </p>
        {hooks.isPending ? (
          <Loading label="Loading webhooks…" />
        ) : hooks.isError ? (
          <QueryError error={hooks.error} title="The webhooks could not be loaded." onRetry={() => void hooks.refetch()} />
        ) : hooks.data.length === 0 ? (
          <p className="muted">No webhooks yet.</p>
        ) : (
          <ul className="stack" style={{ listStyle: "none", padding: 0, margin: 0 }}>
            {hooks.data.map((hook) => (
              <li key={hook.id} className="stack" style={{ borderTop: "1px solid var(--border)", paddingTop: "0.5rem", gap: "0.35rem" }}>
                <div className="spread">
                  <div className="stack" style={{ gap: "0.15rem" }}>
                    <strong>{hook.name}</strong>
                    <code className="small">{hook.url}</code>
                    <span className="small muted">
                      {hook.format} · {hook.events.join(", ")}
                      {hook.allowPrivate && " · private address allowed"} · added <span title={isoTitle(hook.createdAt)}>{formatDateTime(hook.createdAt)}</span>
                    </span>
                  </div>
                  <div className="row">
                    <button type="button" aria-expanded={open === hook.id} onClick={() => setOpen(open === hook.id ? null : hook.id)}>
                      {open === hook.id ? "Hide deliveries" : "Deliveries"}
                    </button>
                    <button type="button" className="danger" onClick={() => setDeleting({ id: hook.id, name: hook.name })}>
                      Delete…
                    </button>
                  </div>
                </div>
                {open === hook.id && <HookDeliveryLog projectId={project.id} hookId={hook.id} hookName={hook.name} />}
              </li>
            ))}
          </ul>
        )}
        {revealed && (
          <div className="notice stack" role="alert" style={{ borderColor: "var(--warn)" }}>
            <strong>Copy the signing secret of {revealed.name} now.</strong>
            <span className="small">It will not be shown again: Slipway keeps it encrypted. The receiver checks each delivery&apos;s signature with it.</span>
            <CopyField label="Signing secret" value={revealed.secret} testId="hook-secret" autoSelect />
            <div>
              <button type="button" onClick={() => setRevealed(null)}>
                I have copied it
              </button>
            </div>
          </div>
        )}
      </section>
      <section className="card">
        <HookForm projectId={project.id} onCreated={setRevealed} />
      </section>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the webhook ${deleting?.name ?? ""}?`}
        confirmLabel="Delete webhook"
        pendingLabel="Deleting…"
        danger
        pending={remove.isPending}
        error={remove.error ? readableMessage(remove.error) : null}
        onCancel={() => {
          setDeleting(null);
          remove.reset();
        }}
        onConfirm={() => deleting && remove.mutate({ projectId: project.id, hookId: deleting.id })}
      >
        <p style={{ margin: 0 }}>Slipway stops sending to it at once, and its delivery log is deleted with it.</p>
      </ConfirmDialog>
    </div>
  );
}
