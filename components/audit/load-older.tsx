"use client";

import { PAGE_SIZE, useAuditPage, type AuditQuery } from "./use-audit-page";

/** Keyset pagination: asks for events below the smallest sequence number shown. */
export function LoadOlder({ scope, query, before, onLoad }: { scope: "all" | "project"; query: AuditQuery; before?: number; onLoad: (before: number) => void }) {
  // The same query as the last page shown: the cache answers it, no second request.
  const last = useAuditPage(scope, query, before);
  if (!last.isSuccess) return null;
  if (last.data.length < PAGE_SIZE) {
    return last.data.length > 0 || before !== undefined ? <p className="muted small">That is the oldest event.</p> : null;
  }
  const smallest = Math.min(...last.data.map((e) => e.seq));
  return (
    <div>
      <button type="button" onClick={() => onLoad(smallest)}>
        Load older
      </button>
    </div>
  );
}
