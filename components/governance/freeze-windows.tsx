"use client";

import { useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import type { EnvironmentRow } from "@/components/ui/api-types";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError, SelectField, TextField } from "@/components/ui/form-controls";
import { formatDateTime } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";
import { fieldErrorsFrom } from "./field-errors";

/**
 * Freeze windows that apply to an environment (its own and the project-wide ones): one-off
 * ranges and recurring windows (cron in a time zone, with a duration). During a freeze,
 * deployments wait and start by themselves when it ends, or are refused, per window.
 */
export function FreezeWindowsSection({ projectId, environment, canAdd, canRemove }: { projectId: string; environment: EnvironmentRow; canAdd: boolean; canRemove: boolean }) {
  const utils = trpc.useUtils();
  const protection = trpc.governance.rules.useQuery({ projectId, environmentId: environment.id });
  const remove = trpc.governance.removeFreezeWindow.useMutation({ onSuccess: () => utils.governance.rules.invalidate({ projectId, environmentId: environment.id }) });
  if (protection.isPending) return <Loading label="Loading freeze windows…" />;
  if (protection.isError) return <QueryError error={protection.error} title="The freeze windows could not be loaded." />;
  const { freezeWindows, freeze, nextFreeze } = protection.data;
  return (
    <section className="card stack" aria-labelledby={`freeze-${environment.id}`}>
      <h3 id={`freeze-${environment.id}`} style={{ margin: 0 }}>
        Freeze windows
      </h3>
      {freeze ? (
        <p className="notice error" role="status" style={{ margin: 0 }} data-testid="freeze-now">
          Frozen now ({freeze.windows.join(", ")}) until {formatDateTime(freeze.until)}: deployments {freeze.refuses ? "are refused" : "wait and start by themselves then"}.
        </p>
      ) : (
        <p className="small muted" style={{ margin: 0 }}>
          Not frozen now.{nextFreeze ? ` Next freeze: ${nextFreeze.name} from ${formatDateTime(nextFreeze.start)}.` : ""}
        </p>
      )}
      {freezeWindows.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>When</th>
              <th>Deployments</th>
              <th>Applies to</th>
              {canRemove && <th />}
            </tr>
          </thead>
          <tbody>
            {freezeWindows.map((w) => (
              <tr key={w.id}>
                <td>{w.name}</td>
                <td className="small">
                  {w.kind === "once" ? `${formatDateTime(w.startsAt)} – ${formatDateTime(w.endsAt)}` : `${w.cron} (${w.timezone}), for ${w.durationMinutes} min`}
                </td>
                <td className="small">{w.mode === "refuse" ? "refused" : "wait"}</td>
                <td className="small">{w.environmentId ? environment.name : "every environment"}</td>
                {canRemove && (
                  <td>
                    <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate({ projectId, freezeWindowId: w.id })}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError message={remove.error ? readableMessage(remove.error) : null} />
      {canAdd && <AddFreezeWindow projectId={projectId} environment={environment} />}
    </section>
  );
}

function AddFreezeWindow({ projectId, environment }: { projectId: string; environment: EnvironmentRow }) {
  const utils = trpc.useUtils();
  const [kind, setKind] = useState<"once" | "recurring">("once");
  const [name, setName] = useState("");
  const [mode, setMode] = useState<"wait" | "refuse">("wait");
  const [scope, setScope] = useState<"environment" | "project">("environment");
  const [startsAt, setStartsAt] = useState("");
  const [endsAt, setEndsAt] = useState("");
  const [cron, setCron] = useState("0 18 * * FRI");
  const [timezone, setTimezone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const [duration, setDuration] = useState("3780");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const add = trpc.governance.addFreezeWindow.useMutation({
    onSuccess: async () => {
      setName("");
      setErrors({});
      await utils.governance.rules.invalidate({ projectId });
    },
    onError: (error) => setErrors(fieldErrorsFrom(error)),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const window =
      kind === "once"
        ? { kind, name, mode, startsAt: startsAt ? new Date(startsAt).toISOString() : "", endsAt: endsAt ? new Date(endsAt).toISOString() : "" }
        : { kind, name, mode, cron, timezone, durationMinutes: Number(duration) };
    add.mutate({ projectId, environmentId: scope === "environment" ? environment.id : null, window });
  }
  const errorAt = (field: string) => errors[`window.${field}`];
  return (
    <form className="stack" onSubmit={submit} aria-label="Add a freeze window" noValidate>
      <div className="row">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errorAt("name")} />
        <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value as "once" | "recurring")} options={[{ value: "once", label: "One-off" }, { value: "recurring", label: "Recurring" }]} />
        <SelectField label="Deployments during it" value={mode} onChange={(e) => setMode(e.target.value as "wait" | "refuse")} options={[{ value: "wait", label: "Wait, then start" }, { value: "refuse", label: "Are refused" }]} />
        <SelectField label="Applies to" value={scope} onChange={(e) => setScope(e.target.value as "environment" | "project")} options={[{ value: "environment", label: environment.name }, { value: "project", label: "Every environment" }]} />
      </div>
      {kind === "once" ? (
        <div className="row">
          <TextField label="Starts" type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} error={errorAt("startsAt")} />
          <TextField label="Ends" type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} error={errorAt("endsAt")} />
        </div>
      ) : (
        <div className="row">
          <TextField label="Starts (cron)" hint="minute hour day month weekday" value={cron} onChange={(e) => setCron(e.target.value)} error={errorAt("cron")} />
          <TextField label="Time zone" value={timezone} onChange={(e) => setTimezone(e.target.value)} error={errorAt("timezone")} />
          <TextField label="Lasts (minutes)" type="number" min={1} value={duration} onChange={(e) => setDuration(e.target.value)} error={errorAt("durationMinutes")} />
        </div>
      )}
      <div>
        <button type="submit" disabled={add.isPending}>
          Add freeze window
        </button>
      </div>
      <FormError message={Object.keys(errors).some((k) => k.startsWith("window.")) ? null : errors.form} />
    </form>
  );
}
