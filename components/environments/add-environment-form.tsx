"use client";

import { useRef, useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import { useFieldErrors, useFocusFirstInvalid, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FormError, TextField } from "@/components/ui/form-controls";
import { createEnvironmentInput } from "@/server/schemas/environment";

const fields = ["name", "description"] as const;

export function AddEnvironmentForm({ projectId }: { projectId: string }) {
  const utils = trpc.useUtils();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const create = trpc.environments.create.useMutation({
    onSuccess: async (env) => {
      setName("");
      setDescription("");
      setAdded(env.name);
      await Promise.all([utils.environments.list.invalidate({ projectId }), utils.projects.list.invalidate()]);
    },
  });
  const { errorFor, formError } = useFieldErrors(create.error, fields, clientErrors);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, [clientErrors, create.error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    setAdded(null);
    const input = { projectId, name, description };
    const checked = validate(createEnvironmentInput, input);
    setClientErrors(checked.ok ? null : checked.fieldErrors);
    if (checked.ok) create.mutate(input);
  }

  return (
    <form ref={formRef} className="card stack" onSubmit={submit} noValidate aria-labelledby="add-environment-title">
      <h2 id="add-environment-title" style={{ margin: 0 }}>
        Add an environment
      </h2>
      <p className="muted small" style={{ margin: 0 }}>
        New environments go last in the promotion order; move them afterwards.
      </p>
      <div className="row" style={{ alignItems: "flex-start" }}>
        <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errorFor("name")} autoComplete="off" />
        <div style={{ flex: 1, minWidth: 240 }}>
          <TextField
            label="Description"
            name="description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            error={errorFor("description")}
            autoComplete="off"
            placeholder="Optional"
          />
        </div>
      </div>
      <FormError message={formError} />
      <div className="row">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Adding environment…" : "Add environment"}
        </button>
        <span role="status" className="small muted">
          {added ? `Added "${added}".` : ""}
        </span>
      </div>
    </form>
  );
}
