"use client";

import { useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import type { EnvironmentRow } from "@/components/ui/api-types";
import { useFieldErrors, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FormError, SelectField, TextAreaField, TextField } from "@/components/ui/form-controls";
import { setSecretInput } from "@/server/schemas/secret";
import type { SecretTarget } from "./types";

const fields = ["name", "environmentId", "value"] as const;

type Props = { projectId: string; environments: EnvironmentRow[]; replacing: SecretTarget | null; onDone: () => void };

/**
 * Adds a secret or gives an existing one a new value. The value field is
 * write-only: it starts empty, is cleared once saved, and nothing fills it
 * from the server, which never sends values back.
 */
export function SecretForm({ projectId, environments, replacing, onDone }: Props) {
  const utils = trpc.useUtils();
  const [name, setName] = useState(replacing?.name ?? "");
  const [scope, setScope] = useState(replacing?.environmentId ?? "");
  const [value, setValue] = useState("");
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const save = trpc.secrets.set.useMutation({
    onSuccess: async (secret) => {
      setValue("");
      if (!replacing) setName("");
      setSaved(`Saved ${secret.name} for ${secret.environmentName ? `the ${secret.environmentName} environment` : "all environments"}.`);
      await utils.secrets.list.invalidate({ projectId });
      if (replacing) onDone();
    },
  });
  const { errorFor, formError } = useFieldErrors(save.error, fields, clientErrors);
  const scopes = [{ value: "", label: "All environments" }, ...environments.map((e) => ({ value: e.id, label: `Only ${e.name}` }))];

  function submit(event: FormEvent) {
    event.preventDefault();
    save.reset();
    setSaved(null);
    const checked = validate(setSecretInput, { projectId, environmentId: scope || null, name, value });
    setClientErrors(checked.ok ? null : checked.fieldErrors);
    if (checked.ok) save.mutate(checked.data);
  }

  const title = replacing ? `Replace the value of ${replacing.name}` : "Add a secret";
  return (
    <form className="card stack" onSubmit={submit} noValidate aria-labelledby="secret-form-title">
      <h3 id="secret-form-title" style={{ margin: 0 }}>
        {title}
      </h3>
      <div className="row" style={{ alignItems: "flex-start" }}>
        <div style={{ flex: 1, minWidth: 240 }}>
          <TextField
            label="Name"
            hint="Letters, digits and underscores; saved in capitals. Saving an existing name replaces its value."
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={errorFor("name")}
            readOnly={Boolean(replacing)}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <SelectField
          label="Applies to"
          name="environmentId"
          value={scope}
          onChange={(e) => setScope(e.target.value)}
          options={scopes}
          error={errorFor("environmentId")}
          disabled={Boolean(replacing)}
        />
      </div>
      <TextAreaField
        label="Value"
        hint="Write-only: it cannot be shown again after saving. Multi-line values such as private keys are kept exactly as pasted. Up to 64 KiB."
        name="value"
        rows={4}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        error={errorFor("value")}
        autoComplete="off"
        spellCheck={false}
        autoFocus={Boolean(replacing)}
        style={{ fontFamily: "var(--mono)" }}
      />
      <FormError message={formError} />
      <div className="row">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving secret…" : replacing ? "Save new value" : "Save secret"}
        </button>
        {replacing && (
          <button type="button" onClick={onDone} disabled={save.isPending}>
            Cancel
          </button>
        )}
        <span role="status" className="small muted">
          {saved ?? ""}
        </span>
      </div>
    </form>
  );
}
