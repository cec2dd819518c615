"use client";

import Link from "next/link";
import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { RouterOutputs } from "@/components/ui/api-types";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import { formatDateTime, isoTitle, plural } from "@/components/ui/format";
import styles from "./approvals.module.css";

export type ApprovalItemData = RouterOutputs["approvals"]["inbox"]["items"][number];

const short = (sha: string) => sha.slice(0, 7);

/** "in 3 days 4 h", "in 2 h 13 min", "in 4 min", "expired": the time left before the request is rejected. */
export function timeLeft(expiresAt: Date, now: number): string {
  const ms = expiresAt.getTime() - now;
  if (ms <= 0) return "expired";
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours} h ${minutes % 60} min`;
  return `in ${Math.floor(hours / 24)} days ${hours % 24} h`;
}

const jobBadge = (status: string) => (status === "succeeded" ? "badge ok" : ["failed", "cancelled"].includes(status) ? "badge bad" : "badge");

/**
 * One approval request with everything needed to decide it: where and what, who asked and
 * when, the changes since what runs there now, the run's checks, the stages and who approved,
 * the time left; and the decision (approve or reject with a comment) when `decidable`.
 */
export function ApprovalItem({
  item,
  decidable,
  refusal,
  selected,
  onSelect,
  highlighted,
  now,
  onDecided,
}: {
  item: ApprovalItemData;
  decidable: boolean;
  /** Why the person may not decide it (shown beside disabled buttons). */
  refusal?: string | null;
  selected?: boolean;
  onSelect?: (selected: boolean) => void;
  highlighted?: boolean;
  now: number;
  onDecided?: (message: string) => void;
}) {
  const [comment, setComment] = useState("");
  const utils = trpc.useUtils();
  const done = (verb: string) => async (result: { status: string }) => {
    setComment("");
    onDecided?.(`${verb} ${item.release.version} for ${item.environment.name} (${item.project.name}): the request is ${result.status}.`);
    await Promise.all([utils.approvals.inbox.invalidate(), utils.approvals.get.invalidate()]);
  };
  const approve = trpc.approvals.approve.useMutation({ onSuccess: done("Approved") });
  const reject = trpc.approvals.reject.useMutation({ onSuccess: done("Rejected") });
  const pending = approve.isPending || reject.isPending;
  const error = approve.error ?? reject.error;
  const input = { projectId: item.project.id, requestId: item.id };
  const required = new Set(item.requiredChecks);
  const titleId = `approval-${item.id}`;
  const refusalId = `approval-${item.id}-refusal`;

  return (
    <article className={`card stack ${styles.item} ${highlighted ? styles.highlighted : ""}`} aria-labelledby={titleId} data-testid="approval-item" data-request-id={item.id}>
      <header className="spread">
        <div className="row">
          {onSelect && decidable && (
            <input type="checkbox" aria-label={`Select ${item.release.version} for ${item.environment.name}`} checked={!!selected} onChange={(e) => onSelect(e.target.checked)} />
          )}
          <h3 id={titleId} style={{ margin: 0 }}>
            <Link href={`/projects/${item.project.slug}`}>{item.project.name}</Link> · {item.environment.name} · {item.release.version}
          </h3>
        </div>
        <span className={item.status === "pending" ? "badge warn" : "badge"} title={isoTitle(item.expiresAt)}>
          {item.status === "pending" ? `expires ${timeLeft(item.expiresAt, now)}` : item.status}
        </span>
      </header>

      <p className="small muted" style={{ margin: 0 }}>
        Release #{item.release.number} ({item.release.digest ?? item.release.image ?? "no digest"}) · asked by {item.requestedBy} on{" "}
        <time dateTime={isoTitle(item.requestedAt)}>{formatDateTime(item.requestedAt)}</time>
        {item.reason ? ` · ${item.reason}` : ""}
      </p>

      <div className={styles.columns}>
        <section aria-label="Changes">
          <h4>Changes</h4>
          <p className="small" style={{ margin: 0 }}>
            {item.changes.from ? (
              <>
                {item.changes.from.version} ({short(item.changes.from.commitSha)}) → {item.changes.to.version} ({short(item.changes.to.commitSha)})
              </>
            ) : (
              <>First deployment here: {item.changes.to.version} ({short(item.changes.to.commitSha)})</>
            )}
          </p>
          {item.changes.direction === "back" && (
            <p className="small" style={{ margin: 0 }}>
              Going back: these commits leave {item.environment.name}.
            </p>
          )}
          {item.changes.commits.length > 0 && (
            <ul className={`small ${styles.commits}`} data-testid="approval-commits">
              {item.changes.commits.map((c) => (
                <li key={c.sha} title={c.sha}>
                  <code>{short(c.sha)}</code> {c.subject || <span className="muted">release {c.version}</span>}
                  {c.author && <span className="muted"> · {c.author}</span>}
                </li>
              ))}
              {!item.changes.complete && <li className="muted">and earlier commits</li>}
            </ul>
          )}
          <p className="small" style={{ margin: 0 }}>
            Authors: {item.changes.authors.length ? item.changes.authors.join(", ") : <span className="muted">not known</span>}
          </p>
          {item.changes.fileCount > 0 && (
            <details>
              <summary className="small">{plural(item.changes.fileCount, "file")} changed</summary>
              <ul className={`small ${styles.files}`}>
                {item.changes.files.map((f) => (
                  <li key={f}>{f}</li>
                ))}
                {item.changes.fileCount > item.changes.files.length && <li className="muted">and {item.changes.fileCount - item.changes.files.length} more</li>}
              </ul>
            </details>
          )}
        </section>

        <section aria-label="Tests and checks">
          <h4>Tests and checks</h4>
          {item.run ? (
            <>
              <p className="small" style={{ margin: 0 }}>
                <Link href={`/projects/${item.project.slug}/runs/${item.run.id}`}>Run #{item.run.number}</Link> ({item.run.branch ?? item.run.tag ?? item.run.trigger}):{" "}
                <span className={jobBadge(item.run.status)}>{item.run.status}</span>
              </p>
              <ul className={styles.jobs}>
                {item.run.jobs.map((j) => (
                  <li key={j.key} className="small">
                    <span className={jobBadge(j.status)}>{j.status}</span> {j.name}
                    {required.has(j.jobId) || required.has(j.key) || required.has(j.name) ? <span className="muted"> (required)</span> : null}
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p className="small muted" style={{ margin: 0 }}>
              This release was not made by a run.
            </p>
          )}
        </section>

        <section aria-label="Approval stages">
          <h4>Approvals</h4>
          <ol className={styles.stages}>
            {item.stages.map((stage, i) => (
              <li key={i} className="small" aria-current={item.stageIndex === i ? "step" : undefined}>
                <strong>{stage.name}</strong> ({stage.approvedBy.length} of {stage.count})
                {item.stageIndex === i && <span className="badge warn"> waiting</span>}
                {stage.approvedBy.length > 0 && (
                  <div className="muted">
                    approved by {stage.approvedBy.map((a) => `${a.label}${a.comment ? ` (“${a.comment}”)` : ""}`).join(", ")}
                  </div>
                )}
              </li>
            ))}
          </ol>
          <p className="small muted" style={{ margin: 0 }}>
            Judged by the environment&apos;s rules v{item.ruleVersion}
            {item.currentRuleVersion !== item.ruleVersion ? ` (they are now v${item.currentRuleVersion}; this request keeps the rules it was made under)` : ""}
            {item.separationOfDuties ? "; separation of duties on" : "; separation of duties off"}.
          </p>
        </section>
      </div>

      {decidable ? (
        <div className="stack">
          <label className="field">
            <span>Comment</span>
            <textarea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Why you approve or reject (required to reject)" maxLength={2000} />
          </label>
          <div className="row">
            <button type="button" className="primary" disabled={pending} onClick={() => approve.mutate({ ...input, comment: comment || undefined })}>
              Approve
            </button>
            <button type="button" className="danger" disabled={pending} onClick={() => reject.mutate({ ...input, comment })}>
              Reject
            </button>
          </div>
          <FormError message={error ? `${approve.error ? "Not approved" : "Not rejected"}: ${readableMessage(error)}` : null} />
        </div>
      ) : refusal ? (
        <div className="stack">
          <p className="notice" role="note" id={refusalId} style={{ margin: 0 }}>
            {refusal}
          </p>
          {item.status === "pending" && (
            <div className="row">
              <button type="button" className="primary" disabled aria-describedby={refusalId}>
                Approve
              </button>
              <button type="button" className="danger" disabled aria-describedby={refusalId}>
                Reject
              </button>
            </div>
          )}
        </div>
      ) : null}
    </article>
  );
}
