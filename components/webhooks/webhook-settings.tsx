"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { CopyField } from "./copy-field";
import { DeliveryTable } from "./delivery-table";

/**
 * Project settings → Webhooks: the payload URLs to paste into GitHub or
 * GitLab, the shared secret (made and rotated by admins, shown once), and the
 * recent deliveries with what Slipway did with each. For maintainers and up.
 */
export function WebhookSettings({ project, runHref }: { project: ProjectWithRole; runHref?: (runId: string) => string }) {
  const canView = hasRole(project.role, "maintainer");
  const isAdmin = hasRole(project.role, "admin");
  const utils = trpc.useUtils();
  const settings = trpc.webhooks.settings.useQuery({ projectId: project.id }, { enabled: canView });
  const [confirming, setConfirming] = useState(false);
  const [revealed, setRevealed] = useState<string | null>(null);
  const rotate = trpc.webhooks.rotateSecret.useMutation({
    onSuccess: async ({ secret }) => {
      setConfirming(false);
      setRevealed(secret);
      await utils.webhooks.settings.invalidate({ projectId: project.id });
    },
  });

  if (!canView) return null;
  const secretSet = settings.data?.secretSet ?? false;
  const action = secretSet ? "Rotate secret" : "Create secret";

  return (
    <section className="card stack" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title" style={{ margin: 0 }}>
        Webhooks
      </h2>
      <p className="muted small" style={{ margin: 0 }}>
        Git hosts tell Slipway about pushes, tags and pull requests through a webhook; the pipeline’s <code>on:</code> decides what runs. In GitHub add it under
        Settings → Webhooks (content type <code>application/json</code>; events: pushes, pull requests, branch or tag creation). In GitLab under Settings →
        Webhooks (push and tag push events), with the secret as the secret token.
      </p>
      {settings.isPending ? (
        <Loading label="Loading webhook settings…" />
      ) : settings.isError ? (
        <QueryError error={settings.error} title="Webhook settings could not be loaded." onRetry={() => void settings.refetch()} />
      ) : (
        <>
          <CopyField label="GitHub payload URL" value={settings.data.urls.github} testId="github-webhook-url" />
          <CopyField label="GitLab URL" value={settings.data.urls.gitlab} testId="gitlab-webhook-url" />
          <div className="spread">
            <span>
              Secret:{" "}
              {secretSet ? <span className="badge ok">set</span> : <span className="badge warn">not set: every delivery is refused until you create one</span>}
            </span>
            {isAdmin && (
              <button type="button" className={secretSet ? "" : "primary"} onClick={() => (secretSet ? setConfirming(true) : rotate.mutate({ projectId: project.id }))} disabled={rotate.isPending}>
                {rotate.isPending && !confirming ? "Creating…" : `${action}…`}
              </button>
            )}
          </div>
          {rotate.error && !confirming && (
            <p className="form-error" role="alert">
              {readableMessage(rotate.error)}
            </p>
          )}
          {revealed && (
            <div className="notice stack" role="alert" style={{ borderColor: "var(--warn)" }}>
              <strong>Copy this secret now and paste it into the git host’s webhook.</strong>
              <span className="small">It will not be shown again: Slipway keeps it encrypted. Deliveries signed with an older secret are refused from now on.</span>
              <CopyField label="Webhook secret" value={revealed} testId="webhook-secret" autoSelect />
              <div>
                <button type="button" onClick={() => setRevealed(null)}>
                  I have copied it
                </button>
              </div>
            </div>
          )}
          <h3 style={{ margin: "0.5rem 0 0" }}>Recent deliveries</h3>
          <DeliveryTable deliveries={settings.data.deliveries} runHref={runHref} />
        </>
      )}
      <ConfirmDialog
        open={confirming}
        title="Rotate the webhook secret?"
        confirmLabel="Rotate secret"
        danger
        pending={rotate.isPending}
        error={rotate.error ? readableMessage(rotate.error) : null}
        onCancel={() => {
          setConfirming(false);
          rotate.reset();
        }}
        onConfirm={() => rotate.mutate({ projectId: project.id })}
      >
        <p style={{ margin: 0 }}>
          The current secret stops working at once: deliveries are refused until you paste the new secret into GitHub or GitLab.
        </p>
      </ConfirmDialog>
    </section>
  );
}
