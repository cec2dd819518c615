"use client";

import styles from "./editor.module.css";
import { BUILTIN_STEPS, STEP_TEMPLATES, type StepTemplate } from "./step-templates";
import type { EditorActions } from "./use-editor-actions";

/** New jobs and built-in steps, a click away; steps go into the selected job. */
export function Palette({ actions, selectedId }: { actions: EditorActions; selectedId: string | null }) {
  const steps: StepTemplate[] = ["run", ...BUILTIN_STEPS];
  return (
    <aside className={styles.palette} aria-label="Palette">
      <h3 className={styles.subhead}>Add a job</h3>
      <button type="button" onClick={() => actions.addJob("job")}>
        + Job
      </button>
      <button type="button" onClick={() => actions.addJob("deploy")}>
        + Deploy job
      </button>
      <h3 className={styles.subhead}>Add a step</h3>
      <p className="small muted" style={{ margin: 0 }}>
        {selectedId ? (
          <>
            to <code>{selectedId}</code>
          </>
        ) : (
          "Select a job first."
        )}
      </p>
      {steps.map((kind) => (
        <button key={kind} type="button" disabled={!selectedId} onClick={() => selectedId && actions.addStep(selectedId, kind)}>
          + {STEP_TEMPLATES[kind].label}
        </button>
      ))}
    </aside>
  );
}
