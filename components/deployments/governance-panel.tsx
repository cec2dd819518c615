"use client";

import type { ProjectWithRole } from "@/components/ui/api-types";
import { formatDateTime, isoTitle, plural } from "@/components/ui/format";
import { hasRole } from "@/components/ui/role";
import type { DeploymentDetail } from "./format";
import { OverrideFreezeForm } from "./override-freeze-form";

type Governance = NonNullable<DeploymentDetail["governance"]>;

const when = (at: Date) => (
  <time dateTime={isoTitle(at)} title={isoTitle(at)}>
    {formatDateTime(at)}
  </time>
);

/**
 * What the environment's protection rules did with this deployment: while it is held, every
 * rule it waits for (the approval stage and who approved, the freeze and until when, the wait
 * timer) and, for administrators, the freeze override; afterwards, overrides and what was waived.
 */
export function GovernancePanel({ project, deployment }: { project: ProjectWithRole; deployment: DeploymentDetail }) {
  const g = deployment.governance;
  if (!g) return null;
  const held = g.status === "held" && deployment.phase === "queued";
  // A note that repeats an override listed below it says nothing new.
  const notes = g.notes.filter((note) => !g.overrides.some((o) => note.endsWith(`overridden by ${o.by}: ${o.reason}`)));
  return (
    <section className="card stack" aria-labelledby="rules-title" data-testid="deployment-governance">
      <h3 id="rules-title" style={{ margin: 0 }}>
        Protection rules
      </h3>
      {held && (
        <p className="notice" style={{ margin: 0 }} data-testid="governance-held">
          Held by the rules of {deployment.environment.name}: it starts by itself once nothing below holds it.
        </p>
      )}
      {g.status === "refused" && (
        <p className="notice error" style={{ margin: 0 }}>
          Not started: {g.reason}
        </p>
      )}
      {g.approval && <ApprovalStatus approval={g.approval} />}
      {g.freeze && (
        <div className="stack" style={{ gap: "0.4rem" }} data-testid="governance-freeze">
          <p style={{ margin: 0 }}>
            <strong>Frozen</strong> until {when(g.freeze.until)} ({g.freeze.windows.map((w) => `“${w}”`).join(", ")}): it starts by itself then.
          </p>
          {hasRole(project.role, "admin") && <OverrideFreezeForm projectId={project.id} deploymentId={deployment.id} />}
        </div>
      )}
      {g.waitTimer && (
        <p style={{ margin: 0 }} data-testid="governance-wait-timer">
          <strong>Wait timer</strong> of {plural(g.waitTimer.minutes, "minute")}: it starts at {when(g.waitTimer.until)}.
        </p>
      )}
      {g.overrides.map((o) => (
        <p key={`${o.by}-${String(o.at)}`} className="notice" style={{ margin: 0 }} data-testid="freeze-override">
          Freeze overridden by <strong>{o.by}</strong> on {when(o.at)}: “{o.reason}”
        </p>
      ))}
      {notes.map((note) => (
        <p key={note} className="small muted" style={{ margin: 0 }}>
          {note}
        </p>
      ))}
      <p className="small muted" style={{ margin: 0 }}>
        Judged by version {g.ruleVersion} of {deployment.environment.name}’s rules
        {g.currentRuleVersion !== g.ruleVersion ? `; they are at version ${g.currentRuleVersion} now, and this deployment keeps the version it was asked under.` : "."}
      </p>
    </section>
  );
}

function ApprovalStatus({ approval }: { approval: NonNullable<Governance["approval"]> }) {
  const pending = approval.status === "pending" && approval.stageIndex !== null;
  return (
    <div className="stack" style={{ gap: "0.3rem" }} data-testid="governance-approval">
      <p style={{ margin: 0 }}>
        <strong>{pending ? "Waiting for approval" : `Approval ${approval.status}`}</strong>
        {pending && approval.stages.length > 1 && ` (stage ${approval.stageIndex! + 1} of ${approval.stages.length})`} · <a href={`/go/approval/${approval.requestId}`}>Open the approval request</a>
      </p>
      <ol style={{ margin: 0, paddingLeft: "1.2rem" }} aria-label="Approval stages">
        {approval.stages.map((stage, index) => (
          <li key={index} aria-current={pending && index === approval.stageIndex ? "step" : undefined} style={pending && index === approval.stageIndex ? { fontWeight: 600 } : undefined}>
            {stage.name}: {plural(stage.count, "approval")} from {stage.approvers}
            <span className="small muted" style={{ fontWeight: 400 }}>
              {" "}
              · {stage.approvedBy.length ? `approved by ${stage.approvedBy.map((a) => (a.comment ? `${a.label} (“${a.comment}”)` : a.label)).join(", ")}` : "no approval yet"}
            </span>
          </li>
        ))}
      </ol>
      {pending && <span className="small muted">The request expires {formatDateTime(approval.expiresAt)} if nobody decides.</span>}
    </div>
  );
}
