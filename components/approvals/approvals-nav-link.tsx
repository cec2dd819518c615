"use client";

import Link from "next/link";
import { useApprovalsLive } from "./use-approvals-live";

/** "Approvals" in the navigation, with how many wait for the signed-in person (live). */
export function ApprovalsNavLink() {
  const count = useApprovalsLive();
  return (
    <Link href="/approvals" aria-label={count ? `Approvals (${count} waiting)` : "Approvals"}>
      Approvals
      {count ? (
        <>
          {" "}
          <span className="badge warn" data-testid="approvals-count">
            {count}
          </span>
        </>
      ) : null}
    </Link>
  );
}
