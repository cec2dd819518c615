"use client";

import { useRef, useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import type { EnvironmentRow } from "@/components/ui/api-types";
import { useFieldErrors, useFocusFirstInvalid, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FormError, TextAreaField, TextField } from "@/components/ui/form-controls";
import { updateEnvironmentInput } from "@/server/schemas/environment";

const fields = ["name", "description"] as const;

/** Rename and describe an environment. */
export function EnvironmentDetailsForm({ projectId, environment, readOnly }: { projectId: string; environment: EnvironmentRow; readOnly: boolean }) {
  const utils = trpc.useUtils();
  const [name, setName] = useState(environment.name);
  const [description, setDescription] = useState(environment.description);
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const update = trpc.environments.update.useMutation({
    onSuccess: () => Promise.all([utils.environments.list.invalidate({ projectId }), utils.environments.deletionImpact.invalidate()]),
  });
  const { errorFor, formError } = useFieldErrors(update.error, fields, clientErrors);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, [clientErrors, update.error]);
  const changed = name.trim() !== environment.name || description.trim() !== environment.description;

  function submit(event: FormEvent) {
    event.preventDefault();
    update.reset();
    const input = {
      projectId,
      environmentId: environment.id,
      name: name.trim() !== environment.name ? name : undefined,
      description: description.trim() !== environment.description ? description : undefined,
    };
    const checked = validate(updateEnvironmentInput, input);
    setClientErrors(checked.ok ? null : checked.fieldErrors);
    if (checked.ok) update.mutate(input);
  }

  return (
    <form ref={formRef} className="card stack" onSubmit={submit} noValidate aria-labelledby="env-details-title">
      <h3 id="env-details-title" style={{ margin: 0 }}>
        Name and description
      </h3>
      <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errorFor("name")} readOnly={readOnly} autoComplete="off" />
      <TextAreaField
        label="Description"
        name="description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={errorFor("description")}
        readOnly={readOnly}
      />
      <FormError message={formError} />
      {!readOnly && (
        <div className="row">
          <button type="submit" className="primary" disabled={update.isPending || !changed}>
            {update.isPending ? "Saving…" : "Save name and description"}
          </button>
          <span role="status" className="small muted">
            {update.isSuccess && !changed ? "Saved." : ""}
          </span>
        </div>
      )}
    </form>
  );
}
