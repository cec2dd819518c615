"use client";

import { useId, useState, type ReactNode } from "react";
import { FieldError } from "@/components/ui/form-controls";

/**
 * Local text that follows the document's value unless the person's draft
 * already means the same (so re-formatting never moves their cursor), and
 * survives a value the document refuses, shown with the reason.
 */
export function useDraft(value: string, same: (draft: string, value: string) => boolean = (a, b) => a === b) {
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    if (!same(draft, value)) setDraft(value);
  }
  return [draft, setDraft] as const;
}

type Props = {
  label: ReactNode;
  value: string;
  /** Returns why the text was refused, or undefined when it went into the document. */
  onCommit: (text: string) => string | undefined;
  hint?: ReactNode;
  multiline?: boolean;
  mono?: boolean;
  /** "blur" for edits that should not happen per keystroke (renaming a job). */
  commitOn?: "change" | "blur";
  same?: (draft: string, value: string) => boolean;
  placeholder?: string;
  readOnly?: boolean;
};

export function DraftField({ label, value, onCommit, hint, multiline, mono, commitOn = "change", same, placeholder, readOnly }: Props) {
  const id = useId();
  const [draft, setDraft] = useDraft(value, same);
  const [error, setError] = useState<string>();
  const commit = (text: string) => setError(onCommit(text));
  const common = {
    "aria-labelledby": `${id}-label`,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": error ? `${id}-error` : undefined,
    value: draft,
    placeholder,
    readOnly,
    style: mono ? { fontFamily: "var(--mono)", fontSize: "0.85rem" } : undefined,
    onBlur: () => {
      if (commitOn === "blur" && draft !== value) commit(draft);
    },
  };
  const change = (text: string) => {
    setDraft(text);
    if (commitOn === "change") commit(text);
    else setError(undefined);
  };
  return (
    <label className="field">
      <span id={`${id}-label`}>{label}</span>
      {hint && <span className="hint">{hint}</span>}
      {multiline ? (
        <textarea {...common} rows={Math.min(8, Math.max(2, draft.split("\n").length + 1))} spellCheck={false} onChange={(e) => change(e.target.value)} />
      ) : (
        <input
          {...common}
          onChange={(e) => change(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && commitOn === "blur") commit(draft);
          }}
        />
      )}
      <FieldError id={`${id}-error`} message={error} />
    </label>
  );
}
