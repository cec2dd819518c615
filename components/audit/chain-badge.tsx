"use client";

import { trpc } from "@/components/providers/trpc";
import { readableMessage } from "@/components/ui/field-errors";

/** Site admins see whether the hash chain of every event still holds. */
export function ChainBadge() {
  const verify = trpc.audit.verify.useQuery(undefined, { staleTime: 0 });
  if (verify.isPending) {
    return (
      <span className="badge" role="status">
        Verifying the audit chain…
      </span>
    );
  }
  if (verify.isError) {
    return (
      <span className="badge bad" role="status">
        Could not verify the chain: {readableMessage(verify.error)}
      </span>
    );
  }
  const v = verify.data;
  return (
    <span className="row" style={{ gap: "0.4rem" }}>
      <span
        className={v.ok ? "badge ok" : "badge bad"}
        role="status"
        title={v.ok ? `Head event ${v.headSeq}, hash ${v.headHash}` : `${v.checked} events before it verified`}
      >
        {v.ok ? `Chain verified: ${v.checked} events` : v.problem.message}
      </span>
      <button type="button" onClick={() => void verify.refetch()} disabled={verify.isFetching} style={{ fontSize: "0.8rem", padding: "0.1rem 0.5rem" }}>
        {verify.isFetching ? "Verifying…" : "Verify again"}
      </button>
    </span>
  );
}
