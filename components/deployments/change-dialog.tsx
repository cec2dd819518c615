"use client";

import { useState, type ReactNode } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { SelectField } from "@/components/ui/form-controls";
import { Loading, QueryError } from "@/components/ui/query-state";
import { ChangeSummary } from "./change-summary";
import type { ReleaseSummary } from "./format";

export type Requested = { id: string; phase: string; position: number | null };
type Environment = { id: string; name: string };

type ChangeProps = {
  project: ProjectWithRole;
  kind: "deploy" | "promotion" | "rollback";
  environment: Environment;
  from?: Environment;
  releaseId: string | null;
  title: string;
  confirmLabel: string;
  /** A release picker above the summary (Deploy…, Roll back…). */
  picker?: ReactNode;
  pending: boolean;
  error: string | null;
  onConfirm: () => void;
  onCancel: () => void;
};

/**
 * Asks before a deployment, showing exactly what would change in the environment; the
 * confirm button stays off while the change is being read, or when it cannot go ahead.
 */
function ChangeDialog(props: ChangeProps) {
  const preview = trpc.deployments.preview.useQuery(
    { projectId: props.project.id, environmentId: props.environment.id, releaseId: props.releaseId ?? "", kind: props.kind, fromEnvironmentId: props.from?.id },
    { enabled: props.releaseId !== null, staleTime: 0 },
  );
  return (
    <ConfirmDialog
      open
      title={props.title}
      confirmLabel={props.confirmLabel}
      pending={props.pending}
      confirmDisabled={!preview.data || preview.data.blocked !== null}
      error={props.error}
      onConfirm={props.onConfirm}
      onCancel={props.onCancel}
    >
      {props.picker}
      {props.releaseId === null ? null : preview.isPending ? (
        <Loading label="Working out what changes…" />
      ) : preview.isError ? (
        <QueryError error={preview.error} title="What this changes could not be read." onRetry={() => void preview.refetch()} />
      ) : (
        <ChangeSummary preview={preview.data} />
      )}
    </ConfirmDialog>
  );
}

function useAfter(project: ProjectWithRole, onDone: (deployment: Requested) => void) {
  const utils = trpc.useUtils();
  return async (deployment: Requested) => {
    await utils.deployments.board.invalidate({ projectId: project.id });
    onDone(deployment);
  };
}

/** "Promote to <next>": the environment's current release goes to the next one in promotion order. */
export function PromoteDialog(props: { project: ProjectWithRole; release: ReleaseSummary; from: Environment; to: Environment; onClose: () => void; onDone: (d: Requested) => void }) {
  const after = useAfter(props.project, props.onDone);
  const promote = trpc.deployments.promote.useMutation({ onSuccess: after });
  return (
    <ChangeDialog
      project={props.project}
      kind="promotion"
      environment={props.to}
      from={props.from}
      releaseId={props.release.id}
      title={`Promote ${props.release.version} to ${props.to.name}`}
      confirmLabel={`Promote to ${props.to.name}`}
      pending={promote.isPending}
      error={promote.error ? readableMessage(promote.error) : null}
      onCancel={props.onClose}
      onConfirm={() => promote.mutate({ projectId: props.project.id, releaseId: props.release.id, fromEnvironmentId: props.from.id })}
    />
  );
}

/** "Deploy…": any release of the project onto this environment. */
export function DeployDialog(props: { project: ProjectWithRole; environment: Environment; currentId: string | null; onClose: () => void; onDone: (d: Requested) => void }) {
  const releases = trpc.releases.list.useQuery({ projectId: props.project.id, limit: 100 });
  const [chosen, setChosen] = useState<string | null>(null);
  const options = (releases.data ?? []).map((r) => ({ value: r.id, label: `${r.version} (#${r.number}, ${r.commitSha.slice(0, 7)})${r.id === props.currentId ? " · live here" : ""}` }));
  const releaseId = chosen ?? releases.data?.find((r) => r.id !== props.currentId)?.id ?? releases.data?.[0]?.id ?? null;
  const after = useAfter(props.project, props.onDone);
  const deploy = trpc.deployments.deploy.useMutation({ onSuccess: after });
  const version = releases.data?.find((r) => r.id === releaseId)?.version;
  return (
    <ChangeDialog
      project={props.project}
      kind="deploy"
      environment={props.environment}
      releaseId={releaseId}
      title={`Deploy to ${props.environment.name}`}
      confirmLabel={version ? `Deploy ${version}` : "Deploy"}
      pending={deploy.isPending}
      error={deploy.error ? readableMessage(deploy.error) : null}
      onCancel={props.onClose}
      onConfirm={() => releaseId && deploy.mutate({ projectId: props.project.id, releaseId, environmentId: props.environment.id })}
      picker={
        releases.isPending ? (
          <Loading label="Loading releases…" />
        ) : releases.isError ? (
          <QueryError error={releases.error} title="Releases could not be loaded." />
        ) : options.length === 0 ? (
          <p className="notice small">There is no release yet: a pipeline run with a deploy job makes one.</p>
        ) : (
          <SelectField label="Release" options={options} value={releaseId ?? ""} onChange={(e) => setChosen(e.target.value)} />
        )
      }
    />
  );
}

/** "Roll back": to the release before the current one, or any earlier one that was live here. */
export function RollbackDialog(props: { project: ProjectWithRole; environment: Environment; current: ReleaseSummary; previous: ReleaseSummary; onClose: () => void; onDone: (d: Requested) => void }) {
  const history = trpc.deployments.list.useQuery({ projectId: props.project.id, environmentId: props.environment.id, limit: 200 });
  const [chosen, setChosen] = useState(props.previous.id);
  const earlier = new Map<string, { id: string; label: string }>([[props.previous.id, { id: props.previous.id, label: `${props.previous.version} (the release before ${props.current.version})` }]]);
  for (const d of history.data ?? []) {
    if (d.phase === "succeeded" && d.releaseId !== props.current.id && !earlier.has(d.releaseId)) earlier.set(d.releaseId, { id: d.releaseId, label: `${d.version} (live here until ${new Date(d.finishedAt ?? d.createdAt).toLocaleString()})` });
  }
  const options = [...earlier.values()].map((r) => ({ value: r.id, label: r.label }));
  const after = useAfter(props.project, props.onDone);
  const rollback = trpc.deployments.rollback.useMutation({ onSuccess: after });
  return (
    <ChangeDialog
      project={props.project}
      kind="rollback"
      environment={props.environment}
      releaseId={chosen}
      title={`Roll back ${props.environment.name}`}
      confirmLabel="Roll back"
      pending={rollback.isPending}
      error={rollback.error ? readableMessage(rollback.error) : null}
      onCancel={props.onClose}
      onConfirm={() => rollback.mutate({ projectId: props.project.id, environmentId: props.environment.id, toReleaseId: chosen })}
      picker={<SelectField label="Return to" hint="Releases that were live here before, newest first." options={options} value={chosen} onChange={(e) => setChosen(e.target.value)} />}
    />
  );
}

/** From a release's page: this release onto an environment the person picks. */
export function DeployReleaseDialog(props: { project: ProjectWithRole; release: { id: string; version: string }; environments: Environment[]; onClose: () => void; onDone: (d: Requested) => void }) {
  const [environmentId, setEnvironmentId] = useState(props.environments[0]?.id ?? "");
  const environment = props.environments.find((e) => e.id === environmentId) ?? props.environments[0];
  const after = useAfter(props.project, props.onDone);
  const deploy = trpc.deployments.deploy.useMutation({ onSuccess: after });
  if (!environment) return null;
  return (
    <ChangeDialog
      project={props.project}
      kind="deploy"
      environment={environment}
      releaseId={props.release.id}
      title={`Deploy ${props.release.version}`}
      confirmLabel={`Deploy to ${environment.name}`}
      pending={deploy.isPending}
      error={deploy.error ? readableMessage(deploy.error) : null}
      onCancel={props.onClose}
      onConfirm={() => deploy.mutate({ projectId: props.project.id, releaseId: props.release.id, environmentId: environment.id })}
      picker={<SelectField label="Environment" options={props.environments.map((e) => ({ value: e.id, label: e.name }))} value={environment.id} onChange={(e) => setEnvironmentId(e.target.value)} />}
    />
  );
}
