"use client";

import { useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError, TextField } from "@/components/ui/form-controls";

type Props = { projectId: string; yaml: string; baseNumber: number; dirty: boolean; hasErrors: boolean; onDiscard: () => void };

/** Saves the editor's YAML as the next revision; refused, with a way to load it, when someone saved first. */
export function SaveRevision({ projectId, yaml, baseNumber, dirty, hasErrors, onDiscard }: Props) {
  const utils = trpc.useUtils();
  const [message, setMessage] = useState("");
  const refresh = () => Promise.all([utils.pipelines.get.invalidate({ projectId }), utils.pipelines.revisions.invalidate({ projectId })]);
  const save = trpc.pipelines.save.useMutation({ onSuccess: refresh });
  const conflict = save.error?.data?.code === "CONFLICT";

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ projectId, yaml, message, baseNumber });
  }

  return (
    <form className="card stack" onSubmit={submit} aria-label="Save as a new revision" noValidate>
      <TextField
        label="What changed"
        hint="A short message for the revision history."
        name="message"
        value={message}
        onChange={(e) => setMessage(e.target.value)}
        maxLength={500}
        autoComplete="off"
      />
      {save.error && <FormError message={readableMessage(save.error)} />}
      <div className="row">
        <button type="submit" className="primary" disabled={!dirty || hasErrors || save.isPending}>
          {save.isPending ? "Saving…" : `Save as revision ${baseNumber + 1}`}
        </button>
        {dirty && (
          <button type="button" onClick={() => (save.reset(), onDiscard())} disabled={save.isPending}>
            Discard changes
          </button>
        )}
        {conflict && (
          <button type="button" onClick={() => void refresh()}>
            Load the latest revision (your edits are discarded)
          </button>
        )}
        <span className="muted small">{hasErrors ? "Fix the errors above to save." : dirty ? "Unsaved changes." : "No changes to save."}</span>
      </div>
    </form>
  );
}
