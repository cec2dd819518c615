"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import { ACTIVE_RUN, type RunDetail } from "./format";

/** Cancel while the run is active; re-run its failed jobs once it is done. The page updates from the run's events. */
export function RunActions({ project, run }: { project: ProjectWithRole; run: RunDetail }) {
  const [confirming, setConfirming] = useState(false);
  const input = { projectId: project.id, runId: run.id };
  const cancel = trpc.runs.cancel.useMutation({ onSuccess: () => setConfirming(false) });
  const rerun = trpc.runs.rerunFailed.useMutation();
  const active = ACTIVE_RUN.includes(run.status);
  const anyFailed = run.jobs.some((j) => j.status === "failed" || j.status === "cancelled");
  const error = rerun.error ?? (confirming ? null : cancel.error);
  return (
    <div className="row">
      {active && (
        <button type="button" className="danger" onClick={() => (cancel.reset(), setConfirming(true))} disabled={run.cancelRequestedAt !== null}>
          {run.cancelRequestedAt ? "Cancelling…" : "Cancel run"}
        </button>
      )}
      {!active && anyFailed && (
        <button type="button" onClick={() => rerun.mutate(input)} disabled={rerun.isPending}>
          {rerun.isPending ? "Starting again…" : "Re-run failed jobs"}
        </button>
      )}
      {error && <FormError message={readableMessage(error)} />}
      <ConfirmDialog
        open={confirming}
        title={`Cancel run #${run.number}?`}
        confirmLabel="Cancel run"
        pendingLabel="Cancelling…"
        danger
        pending={cancel.isPending}
        error={cancel.error ? readableMessage(cancel.error) : null}
        onConfirm={() => cancel.mutate(input)}
        onCancel={() => setConfirming(false)}
      >
        <p style={{ margin: 0 }}>Jobs that are running are stopped and jobs that have not started will not run. You can re-run the failed and cancelled jobs afterwards.</p>
      </ConfirmDialog>
    </div>
  );
}
