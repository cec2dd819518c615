import type { Metadata } from "next";
import { Suspense } from "react";
import { InboxPage } from "@/components/approvals/inbox-page";
import { Loading } from "@/components/ui/query-state";

export const metadata: Metadata = { title: "Approvals" };

export default function ApprovalsPage() {
  return (
    <Suspense fallback={<Loading label="Loading your approvals…" />}>
      <InboxPage />
    </Suspense>
  );
}
