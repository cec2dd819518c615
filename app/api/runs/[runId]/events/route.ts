import { TRPCError } from "@trpc/server";
import { createHttpContext } from "@/server/api/http-context";
import { createCaller } from "@/server/api/root";
import { listArtifacts } from "@/server/services/artifacts";
import { errorResponse, liveEvents, runScope, snapshotStream, sseResponse } from "@/server/services/live-events";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Bursts of job changes (a wave of jobs settling at once) become at most one event per this many milliseconds. */
const COALESCE_MS = 100;

/**
 * A run as Server-Sent Events: a `run` event now and after every change,
 * its data `superjson.serialize({ run, artifacts })` with `run` exactly as
 * `runs.get` answers (each one is authorised again, so losing access ends it).
 */
export async function GET(request: Request, { params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  const ctx = await createHttpContext(request);
  if (!ctx.user) return errorResponse(new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "Sign in first." }));
  const scope = await runScope(ctx.db, runId);
  if (!scope) return new Response("This run does not exist.\n", { status: 404 });
  const api = createCaller(ctx);
  const input = { projectId: scope.projectId, runId };
  const snapshot = async () => {
    const [run, artifacts] = await Promise.all([api.runs.get(input), listArtifacts(ctx.db, runId)]);
    return { run, artifacts: artifacts.map((a) => ({ name: a.name, sizeBytes: a.sizeBytes, fileCount: a.fileCount, jobId: a.jobId })) };
  };
  let first: Awaited<ReturnType<typeof snapshot>>;
  try {
    first = await snapshot();
  } catch (error) {
    return errorResponse(error);
  }

  return sseResponse(request, async (out) => {
    const stream = snapshotStream(out, { event: "run", coalesceMs: COALESCE_MS, first, snapshot });
    out.onClose(liveEvents().subscribeRun(runId, stream.schedule));
    await liveEvents().ready();
    await stream.start();
  });
}
