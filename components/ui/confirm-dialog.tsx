"use client";

import { useEffect, useId, useRef, type FormEvent, type ReactNode } from "react";
import { FormError } from "./form-controls";

type Props = {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  pendingLabel?: string;
  danger?: boolean;
  pending?: boolean;
  /** Keeps the confirm button disabled, e.g. until the person types a name. */
  confirmDisabled?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
};

/** A modal <dialog>: focus is trapped by the browser, Escape cancels. */
export function ConfirmDialog({ open, title, children, confirmLabel, pendingLabel, danger, pending, confirmDisabled, error, onConfirm, onCancel }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!pending && !confirmDisabled) onConfirm();
  }

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!pending) onCancel();
      }}
    >
      {open && (
        <form className="stack" onSubmit={submit}>
          <h2 id={titleId} style={{ marginTop: 0 }}>
            {title}
          </h2>
          {children}
          <FormError message={error} />
          <div className="row" style={{ justifyContent: "flex-end" }}>
            <button type="button" onClick={onCancel} disabled={pending}>
              Cancel
            </button>
            <button type="submit" className={danger ? "danger" : "primary"} disabled={pending || confirmDisabled}>
              {pending ? (pendingLabel ?? `${confirmLabel}…`) : confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
