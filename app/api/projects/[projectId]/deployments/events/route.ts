import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { createHttpContext } from "@/server/api/http-context";
import { createCaller } from "@/server/api/root";
import { deploymentScope, errorResponse, isUuid, liveEvents, serialQueue, sseResponse } from "@/server/services/live-events";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Bursts of changes (every pass of a deployment) become at most one board per this many milliseconds. */
const COALESCE_MS = 250;
/** Health (instances up, errors through the router) changes without a deployment changing: look again this often. */
const HEALTH_EVERY_MS = 10_000;

/**
 * A project's environments board as Server-Sent Events: a `board` event now and after every
 * change of one of its deployments (and every few seconds for health), its data
 * `superjson.serialize(board)` exactly as `deployments.board` answers; each is authorised
 * again, so losing access ends the stream.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const ctx = await createHttpContext(request);
  if (!ctx.user) return errorResponse(new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "Sign in first." }));
  if (!isUuid(projectId)) return new Response("This project does not exist.\n", { status: 404 });
  const api = createCaller(ctx);
  const snapshot = () => api.deployments.board({ projectId });
  let first: Awaited<ReturnType<typeof snapshot>>;
  try {
    first = await snapshot();
  } catch (error) {
    return errorResponse(error);
  }

  return sseResponse(request, async (out) => {
    const serial = serialQueue();
    let timer: NodeJS.Timeout | null = null;
    let lastSent = 0;
    // Notices name a deployment only: remember which ones are this project's.
    const ours = new Map<string, boolean>();

    const push = (data: Awaited<ReturnType<typeof snapshot>>) => {
      lastSent = Date.now();
      return out.send("board", superjson.serialize(data));
    };
    const refresh = () =>
      serial(async () => {
        if (out.closed) return;
        try {
          await push(await snapshot());
        } catch (error) {
          await out.send("failure", { message: (error as Error).message });
          out.close();
        }
      });
    const schedule = () => {
      if (timer || out.closed) return;
      timer = setTimeout(
        () => {
          timer = null;
          void refresh();
        },
        Math.max(0, lastSent + COALESCE_MS - Date.now()),
      );
    };
    const belongs = async (deploymentId: string) => {
      if (!ours.has(deploymentId)) {
        if (ours.size > 5_000) ours.clear();
        ours.set(deploymentId, (await deploymentScope(ctx.db, deploymentId))?.projectId === projectId);
      }
      return ours.get(deploymentId)!;
    };

    out.onClose(
      liveEvents().subscribeAllDeployments(async (event) => {
        if (event.kind === "resync" || (await belongs(event.deploymentId))) schedule();
      }),
    );
    const health = setInterval(schedule, HEALTH_EVERY_MS);
    out.onClose(() => clearInterval(health));
    out.onClose(() => timer && clearTimeout(timer));
    await liveEvents().ready();
    // The first board was read before listening; one more after catches a change in between.
    await serial(() => push(first));
    schedule();
  });
}
