import { formatDateTime, isoTitle, plural } from "@/components/ui/format";
import type { DeploymentPreview } from "./format";

/**
 * What the environment's protection rules will do with a deployment confirmed now: wait for
 * approval (which stages, from whom, who approved already) or for a wait timer, and what a
 * rollback skips. Refusals and freezes show as the dialog's reason it cannot go ahead.
 */
export function RulesOutlook({ governance }: { governance: DeploymentPreview["governance"] }) {
  const { approval, waitTimer, notes } = governance;
  if (!approval && !waitTimer && notes.length === 0) return null;
  return (
    <section aria-label="Protection rules" className="notice small stack" style={{ margin: 0, gap: "0.3rem" }} data-testid="change-rules">
      {approval && (
        <>
          <strong>It will wait for approval before it starts:</strong>
          <ol style={{ margin: 0, paddingLeft: "1.2rem" }}>
            {approval.stages.slice(approval.stageIndex).map((stage, index) => (
              <li key={index}>
                {stage.name}: {plural(stage.count, "approval")} from {stage.approvers}
                {stage.approvedBy.length > 0 && <span className="muted"> (approved so far by {stage.approvedBy.map((a) => a.label).join(", ")})</span>}
              </li>
            ))}
          </ol>
        </>
      )}
      {waitTimer && (
        <span>
          Wait timer: it starts {plural(waitTimer.minutes, "minute")} after it is asked for, at the earliest{" "}
          <time dateTime={isoTitle(waitTimer.until)}>{formatDateTime(waitTimer.until)}</time>.
        </span>
      )}
      {notes.map((note) => (
        <span key={note} className="muted">
          {note}
        </span>
      ))}
    </section>
  );
}
