import type { Metadata } from "next";
import { AuditTrail } from "@/components/audit/audit-trail";
import { serverApi } from "@/server/api/server-caller";

export const metadata: Metadata = { title: "Audit trail" };

export default async function AuditPage() {
  const { user } = await serverApi();
  return <AuditTrail isAdmin={Boolean(user?.isAdmin)} />;
}
