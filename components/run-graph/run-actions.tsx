"use client";

import { trpc } from "@/components/providers/trpc";
import { FormError } from "@/components/ui/form-controls";
import { readableMessage } from "@/components/ui/field-errors";
import type { LiveRun } from "./use-run-live";

/** Cancel while it runs, re-run what failed once it is done; only for people who may (developer and up). */
export function RunActions({ projectId, run, allowed }: { projectId: string; run: LiveRun; allowed: boolean }) {
  const input = { projectId, runId: run.id };
  const cancel = trpc.runs.cancel.useMutation();
  const rerunFailed = trpc.runs.rerunFailed.useMutation();
  if (!allowed) return null;
  const active = run.status === "queued" || run.status === "running";
  const anyFailed = run.jobs.some((j) => j.status === "failed" || j.status === "cancelled");
  const error = cancel.error ?? rerunFailed.error;
  return (
    <div className="row" style={{ gap: "0.4rem" }}>
      {active && (
        <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate(input)}>
          {cancel.isPending ? "Cancelling…" : "Cancel run"}
        </button>
      )}
      {!active && anyFailed && (
        <button type="button" disabled={rerunFailed.isPending} onClick={() => rerunFailed.mutate(input)}>
          Re-run failed jobs
        </button>
      )}
      {error && <FormError message={readableMessage(error)} />}
    </div>
  );
}

/** Re-runs one job (and the jobs below it) of a finished run. */
export function RerunJobButton({ projectId, run, jobKey }: { projectId: string; run: LiveRun; jobKey: string }) {
  const rerun = trpc.runs.rerunJob.useMutation();
  if (run.status === "queued" || run.status === "running") return null;
  return (
    <>
      <button type="button" disabled={rerun.isPending} onClick={() => rerun.mutate({ projectId, runId: run.id, jobKey })}>
        Re-run this job
      </button>
      {rerun.error && <FormError message={readableMessage(rerun.error)} />}
    </>
  );
}
