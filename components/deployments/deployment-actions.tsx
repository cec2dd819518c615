"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import { hasRole } from "@/components/ui/role";
import type { DeploymentDetail } from "./format";

type Signal = "pause" | "resume" | "promoteNow" | "abort";

const labels: Record<Signal, string> = { pause: "Pause", resume: "Resume", promoteNow: "Promote now", abort: "Abort" };
const asked: Record<Signal, string> = {
  pause: "Asked to pause: it holds where it is once the worker next looks.",
  resume: "Asked to resume.",
  promoteNow: "Asked to promote now: the remaining steps are skipped.",
  abort: "Asked to abort: the stable release takes all traffic back.",
};

/** Why each button does not apply now (null when it does), from the phase and the strategy. */
function reasons(d: DeploymentDetail, role: ProjectWithRole["role"]): Record<Signal, string | null> {
  if (!hasRole(role, "maintainer")) {
    const why = `Needs the maintainer role; you are a ${role}.`;
    return { pause: why, resume: why, promoteNow: why, abort: why };
  }
  const strategy = (d.spec as { strategy?: string }).strategy;
  const ended = ["succeeded", "rolled_back", "aborted", "failed"].includes(d.phase) ? `This deployment has ended (${d.phase.replace("_", " ")}).` : null;
  const rolling = d.phase === "rolling_back" ? "It is rolling back already." : null;
  const queued = d.phase === "queued" ? "It waits in line and has not started; only abort applies." : null;
  return {
    pause: ended ?? rolling ?? queued ?? (d.phase === "paused" ? "It is paused already." : null),
    resume: ended ?? rolling ?? queued ?? (d.phase !== "paused" ? "It is not paused." : null),
    promoteNow: ended ?? rolling ?? queued ?? (strategy === "rolling" ? "A rolling update has no steps to skip." : null),
    abort: ended ?? rolling,
  };
}

export function DeploymentActions({ project, deployment }: { project: ProjectWithRole; deployment: DeploymentDetail }) {
  const utils = trpc.useUtils();
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmAbort, setConfirmAbort] = useState(false);
  const input = { projectId: project.id, deploymentId: deployment.id };
  const options = (signal: Signal) => ({
    onSuccess: async () => {
      setNotice(asked[signal]);
      setConfirmAbort(false);
      await utils.deployments.get.invalidate(input);
    },
  });
  const mutations = {
    pause: trpc.deployments.pause.useMutation(options("pause")),
    resume: trpc.deployments.resume.useMutation(options("resume")),
    promoteNow: trpc.deployments.promoteNow.useMutation(options("promoteNow")),
    abort: trpc.deployments.abort.useMutation(options("abort")),
  };
  const why = reasons(deployment, project.role);
  const pending = Object.values(mutations).some((m) => m.isPending);
  const failed = Object.values(mutations).find((m) => m.error)?.error;
  const order: Signal[] = ["pause", "resume", "promoteNow", "abort"];

  return (
    <div className="stack" style={{ gap: "0.35rem" }}>
      <div className="row" role="group" aria-label="Deployment actions">
        {order.map((signal) => (
          <button
            key={signal}
            type="button"
            className={signal === "abort" ? "danger" : signal === "promoteNow" ? "primary" : undefined}
            disabled={why[signal] !== null || pending}
            title={why[signal] ?? undefined}
            aria-describedby={why[signal] ? `why-${signal}` : undefined}
            onClick={() => (signal === "abort" ? setConfirmAbort(true) : mutations[signal].mutate(input))}
          >
            {labels[signal]}
          </button>
        ))}
      </div>
      {order.map((signal) =>
        why[signal] ? (
          <span key={signal} id={`why-${signal}`} hidden>
            {labels[signal]}: {why[signal]}
          </span>
        ) : null,
      )}
      {(deployment.phase === "queued" || ["pending", "progressing", "paused"].includes(deployment.phase)) && hasRole(project.role, "maintainer") && (
        <span className="small muted">Pause holds it where it is; promote now skips what is left; abort returns all traffic to {deployment.previousRelease?.version ?? "the stable release"}.</span>
      )}
      <p role="status" className="small" style={{ margin: 0 }}>
        {notice}
      </p>
      {failed && <FormError message={readableMessage(failed)} />}
      <ConfirmDialog
        open={confirmAbort}
        title={`Abort the deployment of ${deployment.release.version}?`}
        confirmLabel="Abort deployment"
        danger
        pending={mutations.abort.isPending}
        error={mutations.abort.error ? readableMessage(mutations.abort.error) : null}
        onCancel={() => setConfirmAbort(false)}
        onConfirm={() => mutations.abort.mutate(input)}
      >
        <p style={{ margin: 0 }}>
          {deployment.phase === "queued"
            ? `It is waiting in line and has not started; it will be cancelled.`
            : `${deployment.previousRelease ? `${deployment.previousRelease.version} takes all traffic back` : "Its instances are stopped"} and ${deployment.release.version}'s instances are stopped once traffic has left them. This is recorded in the audit trail.`}
        </p>
      </ConfirmDialog>
    </div>
  );
}
