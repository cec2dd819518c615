"use client";

import { useRef, useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import { useFieldErrors, useFocusFirstInvalid, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FormError, SelectField, TextField } from "@/components/ui/form-controls";
import { roleOptions } from "@/components/ui/role";
import { addMemberInput, type ProjectRole } from "@/server/schemas/project";

const fields = ["email", "role"] as const;

export function AddMemberForm({ projectId }: { projectId: string }) {
  const utils = trpc.useUtils();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<ProjectRole>("developer");
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const add = trpc.members.add.useMutation({
    onSuccess: async (member) => {
      setEmail("");
      setAdded(`Added ${member.email} as ${member.role}.`);
      await utils.members.list.invalidate({ projectId });
    },
  });
  const { errorFor, formError } = useFieldErrors(add.error, fields, clientErrors);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, [clientErrors, add.error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    add.reset();
    setAdded(null);
    const input = { projectId, email, role };
    const checked = validate(addMemberInput, input);
    setClientErrors(checked.ok ? null : checked.fieldErrors);
    if (checked.ok) add.mutate(checked.data);
  }

  return (
    <form ref={formRef} className="stack" onSubmit={submit} noValidate aria-labelledby="add-member-title">
      <h3 id="add-member-title" style={{ margin: "0.5rem 0 0" }}>
        Add a member
      </h3>
      <p className="muted small" style={{ margin: 0 }}>
        People can be added once they have signed in to Slipway.
      </p>
      <div className="row" style={{ alignItems: "flex-start" }}>
        <div style={{ flex: 1, minWidth: 260 }}>
          <TextField label="Email" name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={errorFor("email")} autoComplete="off" />
        </div>
        <SelectField label="Role" name="role" value={role} onChange={(e) => setRole(e.target.value as ProjectRole)} options={roleOptions} error={errorFor("role")} />
      </div>
      <FormError message={formError} />
      <div className="row">
        <button type="submit" className="primary" disabled={add.isPending}>
          {add.isPending ? "Adding member…" : "Add member"}
        </button>
        <span role="status" className="small muted">
          {added ?? ""}
        </span>
      </div>
    </form>
  );
}
