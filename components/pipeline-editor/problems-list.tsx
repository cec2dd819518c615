"use client";

import type { PipelineError } from "@/server/pipeline/document";
import type { Diagnostic } from "@/server/pipeline/diagnostics";
import { plural } from "@/components/ui/format";
import styles from "./editor.module.css";

type Props = { diagnostics: Diagnostic[]; parseError: PipelineError | null; onJump: (line: number, jobId: string | null) => void };

/** What the validator says, as the person types; each entry jumps to its node and its YAML line. */
export function ProblemsList({ diagnostics, parseError, onJump }: Props) {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (!parseError && diagnostics.length === 0) {
    return (
      <p className={`${styles.problems} small muted`} role="status">
        No problems: the pipeline validates.
      </p>
    );
  }
  return (
    <section className={styles.problems} aria-label="Problems">
      <strong className="small">
        {parseError ? "The YAML does not parse" : `${plural(errors, "error")}, ${plural(warnings, "warning")}`}
      </strong>
      <ul>
        {parseError && (
          <li>
            <button type="button" className={styles.problem} onClick={() => onJump(parseError.line, null)}>
              <span className="badge bad">error</span> line {parseError.line}:{parseError.column} {parseError.message}
            </button>
          </li>
        )}
        {!parseError &&
          diagnostics.map((d, i) => {
            const jobId = d.path[0] === "jobs" && typeof d.path[1] === "string" ? d.path[1] : null;
            return (
              <li key={i}>
                <button type="button" className={styles.problem} onClick={() => onJump(d.line, jobId)}>
                  <span className={`badge ${d.severity === "error" ? "bad" : "warn"}`}>{d.severity}</span> line {d.line}:{d.column}
                  {jobId && (
                    <>
                      {" "}
                      · <code>{jobId}</code>
                    </>
                  )}{" "}
                  {d.message}
                </button>
              </li>
            );
          })}
      </ul>
    </section>
  );
}
