"use client";

import { keepPreviousData } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useState } from "react";
import { trpc } from "@/components/providers/trpc";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import { plural } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";
import { ApprovalItem } from "./approval-item";
import styles from "./approvals.module.css";
import { useApprovalsLive } from "./use-approvals-live";

/** Requests shown at first and added by "Show more": a long inbox opens as fast as a short one. */
const PAGE_SIZE = 50;
/** The most the inbox API answers at once (inboxInput). */
const MAX_SHOWN = 500;

/** The clock the "expires in" labels read, ticking once a minute. */
function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * The release manager's inbox: every pending approval the signed-in person may act on, across
 * projects, newest first; approve or reject each with a comment, or approve several at once.
 * It refreshes live when anyone decides. `?request=<id>&project=<id>` (a notification link)
 * opens that request, also when it is not the person's to decide (it says why).
 */
export function InboxPage() {
  const params = useSearchParams();
  const focusId = params.get("request");
  const focusProject = params.get("project");
  const utils = trpc.useUtils();
  const [limit, setLimit] = useState(PAGE_SIZE);
  // The list already shown stays while a longer one loads.
  const inbox = trpc.approvals.inbox.useQuery({ limit }, { placeholderData: keepPreviousData });
  const refresh = useCallback(() => {
    void utils.approvals.inbox.invalidate();
    void utils.approvals.get.invalidate();
  }, [utils]);
  useApprovalsLive(refresh);
  const now = useMinuteClock();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const [bulkComment, setBulkComment] = useState("");
  const [bulkErrors, setBulkErrors] = useState<string[]>([]);
  const bulk = trpc.approvals.bulkApprove.useMutation();

  const items = useMemo(() => inbox.data?.items ?? [], [inbox.data]);
  const waiting = useMemo(() => inbox.data?.waitingForOthers ?? [], [inbox.data]);
  const inInbox = focusId ? items.some((i) => i.id === focusId) || waiting.some((i) => i.id === focusId) : true;
  const focused = trpc.approvals.get.useQuery({ projectId: focusProject ?? "", requestId: focusId ?? "" }, { enabled: !!focusId && !!focusProject && !inInbox && !inbox.isPending });

  useEffect(() => {
    if (!focusId) return;
    document.querySelector(`[data-request-id="${focusId}"]`)?.scrollIntoView({ block: "center" });
  }, [focusId, items.length, focused.data]);

  // Selection follows the list: a request decided elsewhere drops out.
  const liveSelected = [...selected].filter((id) => items.some((i) => i.id === id));

  async function approveSelected() {
    setBulkErrors([]);
    const byProject = new Map<string, string[]>();
    for (const id of liveSelected) {
      const item = items.find((i) => i.id === id)!;
      byProject.set(item.project.id, [...(byProject.get(item.project.id) ?? []), id]);
    }
    const errors: string[] = [];
    let approved = 0;
    for (const [projectId, requestIds] of byProject) {
      try {
        const results = await bulk.mutateAsync({ projectId, requestIds, comment: bulkComment || undefined });
        for (const r of results) {
          if (r.ok) approved++;
          else {
            const item = items.find((i) => i.id === r.requestId);
            errors.push(`${item ? `${item.release.version} for ${item.environment.name}` : r.requestId}: ${r.error}`);
          }
        }
      } catch (error) {
        errors.push(readableMessage(error as Parameters<typeof readableMessage>[0]));
      }
    }
    setSelected(new Set());
    setBulkComment("");
    setBulkErrors(errors);
    setNotice(`Approved ${plural(approved, "request")}.`);
    refresh();
  }

  if (inbox.isPending) return <Loading label="Loading your approvals…" />;
  if (inbox.isError) return <QueryError error={inbox.error} title="Your approvals could not be loaded." onRetry={() => void inbox.refetch()} />;

  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Approvals</h1>
        <span className="muted" data-testid="inbox-total">
          {inbox.data.total === 0 ? "Nothing waits for you" : `${plural(inbox.data.total, "request")} wait for you`}
        </span>
      </div>
      {notice && (
        <p className="notice ok" role="status" style={{ margin: 0 }}>
          {notice}
        </p>
      )}

      {focusId && !inInbox && (
        <section aria-label="The request you opened" className="stack">
          {focused.isPending ? (
            <Loading label="Loading the request…" />
          ) : focused.isError ? (
            <QueryError error={focused.error} title="This request could not be opened." />
          ) : (
            <ApprovalItem item={focused.data} decidable={focused.data.mayDecide.ok} refusal={focused.data.mayDecide.ok ? null : focused.data.mayDecide.reason} highlighted now={now} onDecided={setNotice} />
          )}
        </section>
      )}

      {items.length > 0 && (
        <div className={`card row ${styles.bulk}`}>
          <label className="row small">
            <input
              type="checkbox"
              aria-label="Select all"
              checked={liveSelected.length === items.length}
              onChange={(e) => setSelected(e.target.checked ? new Set(items.map((i) => i.id)) : new Set())}
            />
            Select all
          </label>
          <input type="text" aria-label="Comment for the selected approvals" placeholder="Comment (optional)" value={bulkComment} onChange={(e) => setBulkComment(e.target.value)} style={{ flex: 1 }} />
          <button type="button" className="primary" disabled={liveSelected.length === 0 || bulk.isPending} onClick={() => void approveSelected()}>
            Approve {liveSelected.length > 0 ? plural(liveSelected.length, "selected request") : "selected"}
          </button>
        </div>
      )}
      {bulkErrors.length > 0 && (
        <div className="notice error" role="alert">
          <strong>Not approved:</strong>
          <ul style={{ margin: 0 }}>
            {bulkErrors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      )}
      <FormError message={bulk.error ? readableMessage(bulk.error) : null} />

      {items.length === 0 && !focusId && <p className="muted">No deployment waits for your approval. New requests show up here as they are made.</p>}
      {items.map((item) => (
        <ApprovalItem
          key={item.id}
          item={item}
          decidable
          selected={selected.has(item.id)}
          onSelect={(on) =>
            setSelected((current) => {
              const next = new Set(current);
              if (on) next.add(item.id);
              else next.delete(item.id);
              return next;
            })
          }
          highlighted={item.id === focusId}
          now={now}
          onDecided={setNotice}
        />
      ))}
      {inbox.data.total > items.length &&
        (limit < MAX_SHOWN ? (
          <button type="button" onClick={() => setLimit((current) => Math.min(current + PAGE_SIZE, MAX_SHOWN))} disabled={inbox.isFetching}>
            {inbox.isFetching ? "Loading more…" : `Show more (${inbox.data.total - items.length} not shown)`}
          </button>
        ) : (
          <p className="muted small">The newest {MAX_SHOWN} are shown; decide some to see the rest.</p>
        ))}

      {waiting.length > 0 && (
        <section aria-labelledby="waiting-for-others" className="stack">
          <h2 id="waiting-for-others" style={{ margin: "1rem 0 0" }}>
            Waiting for someone else
          </h2>
          <p className="muted small" style={{ margin: 0 }}>
            You approve in these stages, but not these requests: each says why.
          </p>
          {waiting.map((item) => (
            <ApprovalItem key={item.id} item={item} decidable={false} refusal={item.refusal} highlighted={item.id === focusId} now={now} />
          ))}
        </section>
      )}
    </div>
  );
}
