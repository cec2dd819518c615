"use client";

import { useRef, useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import { useFieldErrors, useFocusFirstInvalid, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FormError, SelectField, TextField } from "@/components/ui/form-controls";
import { createTokenInput } from "@/server/schemas/token";

const fields = ["name", "scope", "expiresInDays"] as const;
const scopes = [
  { value: "read", label: "Read only" },
  { value: "write", label: "Read and write" },
] as const;
const expiries = [
  { value: "7", label: "7 days" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "365 days" },
] as const;

export function CreateTokenForm({ onCreated }: { onCreated: (created: { name: string; token: string }) => void }) {
  const utils = trpc.useUtils();
  const [name, setName] = useState("");
  const [scope, setScope] = useState<"read" | "write">("read");
  const [expiresInDays, setExpiresInDays] = useState("30");
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const create = trpc.tokens.create.useMutation({
    onSuccess: async ({ token, record }) => {
      onCreated({ name: record.name, token });
      await utils.tokens.list.invalidate();
    },
  });
  const { errorFor, formError } = useFieldErrors(create.error, fields, clientErrors);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, [clientErrors, create.error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    const checked = validate(createTokenInput, { name, scope, expiresInDays });
    setClientErrors(checked.ok ? null : checked.fieldErrors);
    if (checked.ok) create.mutate(checked.data);
  }

  return (
    <form ref={formRef} className="card stack" onSubmit={submit} noValidate aria-labelledby="create-token-title">
      <h2 id="create-token-title" style={{ margin: 0 }}>
        Create a token
      </h2>
      <div className="row" style={{ alignItems: "flex-start" }}>
        <div style={{ flex: 1, minWidth: 240 }}>
          <TextField
            label="Name"
            hint="What will use it, e.g. “deploy script”."
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={errorFor("name")}
            autoComplete="off"
          />
        </div>
        <SelectField label="Scope" hint="Read-write can make changes." name="scope" value={scope} onChange={(e) => setScope(e.target.value as "read" | "write")} options={scopes} error={errorFor("scope")} />
        <SelectField label="Expires in" hint="After this it stops working." name="expiresInDays" value={expiresInDays} onChange={(e) => setExpiresInDays(e.target.value)} options={expiries} error={errorFor("expiresInDays")} />
      </div>
      <FormError message={formError} />
      <div>
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating token…" : "Create token"}
        </button>
      </div>
    </form>
  );
}
