import { TRPCError } from "@trpc/server";
import { createHttpContext } from "@/server/api/http-context";
import { createCaller } from "@/server/api/root";
import { approvalsLive } from "@/server/services/approvals-live";
import { errorResponse, serialQueue, sseResponse } from "@/server/services/live-events";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const COALESCE_MS = 200;

/**
 * The signed-in person's approvals as Server-Sent Events: a `count` event ({ count, requestId })
 * now and after every approval change anywhere (made, decided, expired), with how many wait for
 * them (authorised again each time, as `approvals.count`). Pages refetch what they show on it.
 */
export async function GET(request: Request) {
  const ctx = await createHttpContext(request);
  if (!ctx.user) return errorResponse(new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "Sign in first." }));
  const api = createCaller(ctx);
  let first: number;
  try {
    first = await api.approvals.count();
  } catch (error) {
    return errorResponse(error);
  }
  return sseResponse(request, async (out) => {
    const serial = serialQueue();
    let timer: NodeJS.Timeout | null = null;
    let changed: string | null = null;
    const push = (count: number, requestId: string | null) => out.send("count", { count, requestId });
    const schedule = (requestId: string | null) => {
      changed = requestId;
      if (timer || out.closed) return;
      timer = setTimeout(() => {
        timer = null;
        void serial(async () => {
          if (out.closed) return;
          try {
            await push(await api.approvals.count(), changed);
          } catch (error) {
            await out.send("failure", { message: (error as Error).message });
            out.close();
          }
        });
      }, COALESCE_MS);
    };
    out.onClose(approvalsLive().subscribe(schedule));
    out.onClose(() => timer && clearTimeout(timer));
    await approvalsLive().ready();
    await serial(() => push(first, null));
  });
}
