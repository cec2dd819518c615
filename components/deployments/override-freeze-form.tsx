"use client";

import { useState, type FormEvent } from "react";
import { fieldErrorsFrom } from "@/components/governance/field-errors";
import { trpc } from "@/components/providers/trpc";
import { FormError, TextAreaField } from "@/components/ui/form-controls";

const MIN_REASON = 10;

/** An administrator's written override of the freeze holding one deployment: audited, shown on it, and it starts if nothing else holds it. */
export function OverrideFreezeForm({ projectId, deploymentId }: { projectId: string; deploymentId: string }) {
  const utils = trpc.useUtils();
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const override = trpc.governance.overrideFreeze.useMutation({
    onSuccess: async () => {
      setErrors({});
      await utils.deployments.get.invalidate({ projectId, deploymentId });
    },
    onError: (error) => setErrors(fieldErrorsFrom(error)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    override.mutate({ projectId, deploymentId, reason });
  };
  return (
    <form className="stack" style={{ gap: "0.4rem" }} onSubmit={submit} aria-label="Override the freeze" noValidate>
      <TextAreaField
        label="Why override the freeze"
        hint={`At least ${MIN_REASON} characters. It is kept in the audit trail and shown on this deployment.`}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        error={errors.reason}
      />
      <div>
        <button type="submit" className="danger" disabled={override.isPending || reason.trim().length < MIN_REASON}>
          Override freeze
        </button>
      </div>
      <FormError message={errors.reason ? null : errors.form} />
    </form>
  );
}
