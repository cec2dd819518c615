import type { Diagnostic } from "@/server/pipeline/diagnostics";
import styles from "./pipeline-yaml.module.css";

/** The pipeline's errors and warnings; choosing one puts the caret on its line and column. */
export function DiagnosticsList({ diagnostics, checking, onGoTo }: { diagnostics: Diagnostic[] | null; checking: boolean; onGoTo: (d: Diagnostic) => void }) {
  const errors = diagnostics?.filter((d) => d.severity === "error").length ?? 0;
  const warnings = (diagnostics?.length ?? 0) - errors;
  const summary =
    diagnostics === null
      ? "Checking…"
      : errors + warnings === 0
        ? "✓ No problems found."
        : [errors && `${errors} ${errors === 1 ? "error" : "errors"}`, warnings && `${warnings} ${warnings === 1 ? "warning" : "warnings"}`].filter(Boolean).join(", ");
  return (
    <section aria-labelledby="problems-title" className="stack" style={{ gap: "0.35rem" }}>
      <div className="row">
        <h3 id="problems-title" style={{ margin: 0, fontSize: "1rem" }}>
          Problems
        </h3>
        <span role="status" className={errors ? styles.error : "muted small"} data-testid="validation-summary">
          {summary}
        </span>
        {checking && diagnostics !== null && <span className={styles.checking}>checking…</span>}
      </div>
      {diagnostics && diagnostics.length > 0 && (
        <ol className={styles.diagnostics}>
          {diagnostics.map((d, i) => (
            <li key={i}>
              <button type="button" className={styles.diagnostic} onClick={() => onGoTo(d)} title="Go to this line">
                <span className={styles.where}>
                  {d.line}:{d.column}
                </span>
                <span className={d.severity === "error" ? styles.error : styles.warningText}>{d.severity === "error" ? "Error" : "Warning"}</span>
                <span>{d.message}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
