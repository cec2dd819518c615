"use client";

import { useState } from "react";
import styles from "./editor.module.css";

type Props = {
  readOnly: boolean;
  dirty: boolean;
  canUndo: boolean;
  canRedo: boolean;
  onUndo: () => void;
  onRedo: () => void;
  /** Absent for people who may not save (below maintainer). */
  onSave?: (message: string) => void;
  saving: boolean;
  savedNumber: number | null;
  /** Absent for people who may not start runs. */
  onRun?: () => void;
  running: boolean;
  revisionsOpen: boolean;
  onToggleRevisions: () => void;
};

/** Undo and redo, save with a message, start a run of the saved pipeline, and the revision history. */
export function EditorToolbar(props: Props) {
  const { readOnly, dirty, canUndo, canRedo, onUndo, onRedo, onSave, saving, savedNumber, onRun, running, revisionsOpen, onToggleRevisions } = props;
  const [message, setMessage] = useState("");
  const status = readOnly ? "Read-only" : dirty ? "Unsaved changes" : savedNumber ? `Saved as revision ${savedNumber}` : "Not saved yet";
  return (
    <div className={styles.toolbar} role="toolbar" aria-label="Editor">
      {!readOnly && (
        <>
          <button type="button" onClick={onUndo} disabled={!canUndo} title="Undo (Ctrl+Z)">
            ↶ Undo
          </button>
          <button type="button" onClick={onRedo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
            ↷ Redo
          </button>
        </>
      )}
      {onSave && (
        <form
          className="row"
          style={{ gap: "0.4rem", flex: 1, flexWrap: "nowrap" }}
          onSubmit={(e) => {
            e.preventDefault();
            onSave(message);
            setMessage("");
          }}
        >
          <input aria-label="Revision message" placeholder="What changed? (optional)" value={message} onChange={(e) => setMessage(e.target.value)} style={{ flex: 1, minWidth: 120 }} maxLength={500} />
          <button type="submit" className="primary" disabled={saving || !dirty}>
            {saving ? "Saving…" : "Save revision"}
          </button>
        </form>
      )}
      <span className={`small ${dirty ? "" : "muted"}`} role="status" data-testid="save-status" style={{ marginLeft: onSave ? 0 : "auto" }}>
        {status}
      </span>
      {onRun && (
        <button type="button" onClick={onRun} disabled={running || dirty || !savedNumber} title={dirty ? "Save first: a run uses the saved revision." : "Run the saved pipeline on the default branch"}>
          ▶ {running ? "Starting…" : "Run"}
        </button>
      )}
      <button type="button" aria-expanded={revisionsOpen} onClick={onToggleRevisions}>
        Revisions
      </button>
    </div>
  );
}
