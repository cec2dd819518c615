"use client";

import { useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import type { EnvironmentRow, RouterOutputs } from "@/components/ui/api-types";
import { fieldErrorsFrom } from "./field-errors";
import { FormError, TextField } from "@/components/ui/form-controls";
import { formatDateTime } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";
import { roleOptions } from "@/components/ui/role";
import { protectionRulesSchema, rollbackExemptions, type ProtectionRules, type RollbackExemption } from "@/server/governance/rules";
import type { ProjectRole } from "@/server/schemas/project";
import styles from "@/components/approvals/approvals.module.css";

/**
 * An environment's protection rules: approval stages in order (each with its count and who may
 * approve), separation of duties, allowed branches and tags, wait timer, required checks,
 * promotion lifecycle, rollback exemptions, and how long a request waits. Each save is a new
 * version; requests already waiting keep the version they were made under.
 */

type Protection = RouterOutputs["governance"]["rules"];
type Member = RouterOutputs["members"]["list"][number];

type StageValues = { name: string; count: string; users: string[]; role: ProjectRole | ""; groups: string };
type Values = {
  stages: StageValues[];
  separationOfDuties: boolean;
  allowedBranches: string;
  allowedTags: string;
  waitTimerMinutes: string;
  requiredChecks: string;
  requirePreviousEnvironment: boolean;
  rollbackExemptions: RollbackExemption[];
  approvalExpiryHours: string;
};

const list = (text: string) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

function toValues(rules: ProtectionRules): Values {
  return {
    stages: rules.stages.map((s) => ({
      name: s.name,
      count: String(s.count),
      users: s.approvers.users,
      // The form offers one minimum role per stage; the lowest of several means the same.
      role: s.approvers.roles.length ? roleOptions.find((o) => s.approvers.roles.includes(o.value))!.value : "",
      groups: s.approvers.groups.join(", "),
    })),
    separationOfDuties: rules.separationOfDuties,
    allowedBranches: rules.allowedBranches.join(", "),
    allowedTags: rules.allowedTags.join(", "),
    waitTimerMinutes: String(rules.waitTimerMinutes),
    requiredChecks: rules.requiredChecks.join(", "),
    requirePreviousEnvironment: rules.requirePreviousEnvironment,
    rollbackExemptions: rules.rollbackExemptions,
    approvalExpiryHours: String(rules.approvalExpiryHours),
  };
}

function toRules(v: Values) {
  return {
    stages: v.stages.map((s) => ({ name: s.name, count: Number(s.count), approvers: { users: s.users, roles: s.role ? [s.role] : [], groups: list(s.groups) } })),
    separationOfDuties: v.separationOfDuties,
    allowedBranches: list(v.allowedBranches),
    allowedTags: list(v.allowedTags),
    waitTimerMinutes: Number(v.waitTimerMinutes || 0),
    requiredChecks: list(v.requiredChecks),
    requirePreviousEnvironment: v.requirePreviousEnvironment,
    rollbackExemptions: v.rollbackExemptions,
    approvalExpiryHours: Number(v.approvalExpiryHours || 72),
  };
}

const exemptionLabels: Record<RollbackExemption, string> = {
  approvals: "approvals",
  waitTimer: "wait timer",
  freeze: "freeze windows",
  refs: "branch filter",
  checks: "required checks",
  promotion: "promotion lifecycle",
};

export function ProtectionRulesSection({ projectId, environment, canEdit }: { projectId: string; environment: EnvironmentRow; canEdit: boolean }) {
  const protection = trpc.governance.rules.useQuery({ projectId, environmentId: environment.id });
  const members = trpc.members.list.useQuery({ projectId });
  if (protection.isPending || members.isPending) return <Loading label="Loading protection rules…" />;
  if (protection.isError) return <QueryError error={protection.error} title="The protection rules could not be loaded." onRetry={() => void protection.refetch()} />;
  if (members.isError) return <QueryError error={members.error} title="The members could not be loaded." onRetry={() => void members.refetch()} />;
  return <RulesForm key={protection.data.version} projectId={projectId} environment={environment} protection={protection.data} members={members.data} canEdit={canEdit} />;
}

function RulesForm({ projectId, environment, protection, members, canEdit }: { projectId: string; environment: EnvironmentRow; protection: Protection; members: Member[]; canEdit: boolean }) {
  const utils = trpc.useUtils();
  const [values, setValues] = useState<Values>(() => toValues(protection.rules));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const save = trpc.governance.setRules.useMutation({
    onSuccess: async (result) => {
      setSaved(result.version === protection.version ? "Nothing changed." : `Saved as version ${result.version}.`);
      await utils.governance.rules.invalidate({ projectId, environmentId: environment.id });
    },
    onError: (error) => setErrors(fieldErrorsFrom(error)),
  });
  const set = <K extends keyof Values>(key: K, value: Values[K]) => setValues((v) => ({ ...v, [key]: value }));
  const setStage = (i: number, patch: Partial<StageValues>) => setValues((v) => ({ ...v, stages: v.stages.map((s, j) => (i === j ? { ...s, ...patch } : s)) }));
  const moveStage = (i: number, by: number) =>
    setValues((v) => {
      const stages = [...v.stages];
      const [stage] = stages.splice(i, 1);
      stages.splice(i + by, 0, stage);
      return { ...v, stages };
    });
  const turningSeparationOff = protection.rules.separationOfDuties && !values.separationOfDuties;

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(null);
    const rules = toRules(values);
    const checked = protectionRulesSchema.safeParse(rules);
    if (!checked.success) {
      setErrors(Object.fromEntries(checked.error.issues.map((i) => [i.path.join("."), i.message])));
      return;
    }
    setErrors({});
    save.mutate({ projectId, environmentId: environment.id, rules });
  }

  const errorAt = (path: string) => errors[path] ?? errors[`rules.${path}`];
  const disabled = !canEdit || save.isPending;
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby={`rules-${environment.id}`} noValidate>
      <div className="spread">
        <h3 id={`rules-${environment.id}`} style={{ margin: 0 }}>
          Protection rules
        </h3>
        <span className="small muted">
          {protection.version === 0 ? "Not protected yet: anything may deploy at once." : `Version ${protection.version}, saved by ${protection.createdByLabel} on ${formatDateTime(protection.createdAt)}`}
        </span>
      </div>
      {!canEdit && <p className="small muted" style={{ margin: 0 }}>Changing the protection rules needs the admin role.</p>}

      <fieldset className="stack" disabled={disabled}>
        <legend>Required approvals, in order</legend>
        {values.stages.length === 0 && <p className="small muted" style={{ margin: 0 }}>No approval needed. Add a stage to require one.</p>}
        {values.stages.map((stage, i) => (
          <div key={i} className={`stack ${styles.stageCard}`} role="group" aria-label={`Stage ${i + 1}`}>
            <div className="row">
              <strong>Stage {i + 1}</strong>
              <button type="button" onClick={() => moveStage(i, -1)} disabled={i === 0}>
                Move up
              </button>
              <button type="button" onClick={() => moveStage(i, 1)} disabled={i === values.stages.length - 1}>
                Move down
              </button>
              <button type="button" className="danger" onClick={() => set("stages", values.stages.filter((_, j) => j !== i))}>
                Remove stage
              </button>
            </div>
            <div className="row">
              <TextField label="Stage name" value={stage.name} onChange={(e) => setStage(i, { name: e.target.value })} error={errorAt(`stages.${i}.name`)} />
              <TextField label="Approvals needed" type="number" min={1} max={20} value={stage.count} onChange={(e) => setStage(i, { count: e.target.value })} error={errorAt(`stages.${i}.count`)} />
            </div>
            <label className="field">
              <span>Anyone with at least this role</span>
              <select value={stage.role} onChange={(e) => setStage(i, { role: e.target.value as ProjectRole | "" })}>
                <option value="">(no role)</option>
                {roleOptions.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Named people</span>
              <select multiple value={stage.users} onChange={(e) => setStage(i, { users: [...e.target.selectedOptions].map((o) => o.value) })} size={Math.min(6, Math.max(2, members.length))}>
                {members.map((m) => (
                  <option key={m.userId} value={m.userId}>
                    {m.name} ({m.email})
                  </option>
                ))}
              </select>
            </label>
            <TextField label="Approver groups" hint="Names of the project's approver groups, separated by commas." value={stage.groups} onChange={(e) => setStage(i, { groups: e.target.value })} />
            {errorAt(`stages.${i}.approvers`) && <span className="field-error">{errorAt(`stages.${i}.approvers`)}</span>}
          </div>
        ))}
        <div>
          <button type="button" onClick={() => set("stages", [...values.stages, { name: values.stages.length ? "Release manager" : "Approver", count: "1", users: [], role: "maintainer", groups: "" }])}>
            Add a stage
          </button>
        </div>
        <FormError message={errorAt("stages")} />
      </fieldset>

      <fieldset className="stack" disabled={disabled}>
        <legend>Who may not approve</legend>
        <label className="row">
          <input type="checkbox" checked={values.separationOfDuties} onChange={(e) => set("separationOfDuties", e.target.checked)} />
          Separation of duties: the person who triggered the run, who asked for the deployment, and the authors of the commits since what runs here now cannot approve it
        </label>
        {turningSeparationOff && (
          <p className="notice error" role="alert" style={{ margin: 0 }}>
            Turning separation of duties off lets people approve their own changes. The change is recorded in the audit trail.
          </p>
        )}
      </fieldset>

      <fieldset className="stack" disabled={disabled}>
        <legend>What may deploy, and when</legend>
        <TextField label="Allowed branches" hint="Patterns such as main, release/*; !pattern excludes. Empty with no tag pattern: any branch or tag." value={values.allowedBranches} onChange={(e) => set("allowedBranches", e.target.value)} error={errorAt("allowedBranches") ?? errorAt("allowedBranches.0")} />
        <TextField label="Allowed tags" hint="Patterns such as v*." value={values.allowedTags} onChange={(e) => set("allowedTags", e.target.value)} error={errorAt("allowedTags") ?? errorAt("allowedTags.0")} />
        <TextField label="Required checks" hint="Jobs of the release's run (by id, key or name) that must have succeeded, separated by commas." value={values.requiredChecks} onChange={(e) => set("requiredChecks", e.target.value)} />
        <div className="row">
          <TextField label="Wait timer (minutes)" type="number" min={0} value={values.waitTimerMinutes} onChange={(e) => set("waitTimerMinutes", e.target.value)} error={errorAt("waitTimerMinutes")} />
          <TextField label="Requests expire after (hours)" type="number" min={1} value={values.approvalExpiryHours} onChange={(e) => set("approvalExpiryHours", e.target.value)} error={errorAt("approvalExpiryHours")} />
        </div>
        <label className="row">
          <input type="checkbox" checked={values.requirePreviousEnvironment} onChange={(e) => set("requirePreviousEnvironment", e.target.checked)} />
          Promotion lifecycle: a release must first have succeeded in the environment before this one
        </label>
      </fieldset>

      <fieldset className="row" disabled={disabled}>
        <legend>Rollbacks skip</legend>
        {rollbackExemptions.map((rule) => (
          <label key={rule} className="row small">
            <input
              type="checkbox"
              checked={values.rollbackExemptions.includes(rule)}
              onChange={(e) => set("rollbackExemptions", e.target.checked ? [...values.rollbackExemptions, rule] : values.rollbackExemptions.filter((r) => r !== rule))}
            />
            {exemptionLabels[rule]}
          </label>
        ))}
      </fieldset>

      {canEdit && (
        <div className="row">
          <button type="submit" className="primary" disabled={save.isPending}>
            Save protection rules
          </button>
          {saved && (
            <span className="small muted" role="status">
              {saved}
            </span>
          )}
        </div>
      )}
      <FormError message={errors[""] ?? errors.form} />
    </form>
  );
}
