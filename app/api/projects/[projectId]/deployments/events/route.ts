import { TRPCError } from "@trpc/server";
import { createHttpContext } from "@/server/api/http-context";
import { createCaller } from "@/server/api/root";
import { deploymentScope, errorResponse, isUuid, liveEvents, snapshotStream, sseResponse } from "@/server/services/live-events";

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
    const stream = snapshotStream(out, { event: "board", coalesceMs: COALESCE_MS, first, snapshot });
    // Notices name a deployment only: remember which ones are this project's.
    const ours = new Map<string, boolean>();

    const belongs = async (deploymentId: string) => {
      if (!ours.has(deploymentId)) {
        if (ours.size > 5_000) ours.clear();
        ours.set(deploymentId, (await deploymentScope(ctx.db, deploymentId))?.projectId === projectId);
      }
      return ours.get(deploymentId)!;
    };

    out.onClose(
      liveEvents().subscribeAllDeployments(async (event) => {
        if (event.kind === "resync" || (await belongs(event.deploymentId))) stream.schedule();
      }),
    );
    const health = setInterval(stream.schedule, HEALTH_EVERY_MS);
    out.onClose(() => clearInterval(health));
    await liveEvents().ready();
    await stream.start();
  });
}
