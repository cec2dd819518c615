import { eq } from "drizzle-orm";
import { NextResponse } from "next/server";
import { approvalRequests } from "@/db/schema";
import { createHttpContext } from "@/server/api/http-context";
import { isUuid } from "@/server/services/live-events";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * Where a notification's link points: the request in the approval inbox, after signing in
 * when needed (the sign-in page comes back here through its callbackUrl).
 */
export async function GET(request: Request, { params }: { params: Promise<{ requestId: string }> }) {
  const { requestId } = await params;
  const ctx = await createHttpContext(request);
  // The project lets the page open a request that is not in the person's inbox (decided, or theirs to watch); the page authorises it.
  const [row] = isUuid(requestId) ? await ctx.db.select({ projectId: approvalRequests.projectId }).from(approvalRequests).where(eq(approvalRequests.id, requestId)) : [];
  const target = row ? `/approvals?request=${requestId}&project=${row.projectId}` : "/approvals";
  const base = new URL(request.url);
  if (!ctx.user) return NextResponse.redirect(new URL(`/sign-in?callbackUrl=${encodeURIComponent(target)}`, base), 303);
  return NextResponse.redirect(new URL(target, base), 303);
}
