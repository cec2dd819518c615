"use client";

import { useState, type FormEvent } from "react";
import { useFieldErrors, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FormError, SelectField, TextField } from "@/components/ui/form-controls";
import { auditFilterInput } from "@/server/schemas/audit";
import type { AuditQuery } from "./use-audit-page";

const fields = ["projectId", "actor", "action", "from", "to"] as const;

type Props = {
  projects: { id: string; name: string }[];
  /** Site admins may leave the project open; others must pick one they maintain. */
  allowAllProjects: boolean;
  initial: AuditQuery;
  onApply: (query: AuditQuery) => void;
};

/** datetime-local gives local wall time without a zone; the API wants an ISO time with one. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);
const blankToUndefined = (v: string) => (v.trim() ? v.trim() : undefined);

export function AuditFilters({ projects, allowAllProjects, initial, onApply }: Props) {
  const [projectId, setProjectId] = useState(initial.projectId ?? "");
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const { errorFor, formError } = useFieldErrors(null, fields, clientErrors);

  function submit(event: FormEvent) {
    event.preventDefault();
    const query: AuditQuery = {
      projectId: projectId || undefined,
      actor: blankToUndefined(actor),
      action: blankToUndefined(action),
      from: toIso(from),
      to: toIso(to),
    };
    const checked = validate(auditFilterInput, query);
    const errors: FieldErrors = checked.ok ? {} : { ...checked.fieldErrors };
    if (query.from && query.to && query.from > query.to) errors.to = ["“To” must be after “From”."];
    setClientErrors(Object.keys(errors).length ? errors : null);
    if (!Object.keys(errors).length) onApply(query);
  }

  function clear() {
    setActor("");
    setAction("");
    setFrom("");
    setTo("");
    setClientErrors(null);
    onApply({ projectId: allowAllProjects ? undefined : projectId || undefined });
    if (allowAllProjects) setProjectId("");
  }

  const projectOptions = [...(allowAllProjects ? [{ value: "", label: "All projects" }] : []), ...projects.map((p) => ({ value: p.id, label: p.name }))];
  return (
    <form className="card stack" onSubmit={submit} noValidate aria-label="Audit filters">
      <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(170px, 1fr))", gap: "0.75rem", alignItems: "start" }}>
        <SelectField label="Project" name="projectId" value={projectId} onChange={(e) => setProjectId(e.target.value)} options={projectOptions} error={errorFor("projectId")} />
        <TextField label="Actor" name="actor" placeholder="email or user id" value={actor} onChange={(e) => setActor(e.target.value)} error={errorFor("actor")} autoComplete="off" />
        <TextField label="Action starts with" name="action" placeholder="e.g. environment." value={action} onChange={(e) => setAction(e.target.value)} error={errorFor("action")} autoComplete="off" spellCheck={false} />
        <TextField label="From" name="from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} error={errorFor("from")} />
        <TextField label="To" name="to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} error={errorFor("to")} />
      </div>
      <FormError message={formError} />
      <div className="row">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
