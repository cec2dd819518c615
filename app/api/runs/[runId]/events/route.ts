import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { createHttpContext } from "@/server/api/http-context";
import { createCaller } from "@/server/api/root";
import { listArtifacts } from "@/server/services/artifacts";
import { errorResponse, liveEvents, runScope, serialQueue, sseResponse } from "@/server/services/live-events";

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
    const serial = serialQueue();
    let timer: NodeJS.Timeout | null = null;
    let lastSent = 0;

    const push = (data: Awaited<ReturnType<typeof snapshot>>) => {
      lastSent = Date.now();
      return out.send("run", superjson.serialize(data));
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
      timer = setTimeout(() => {
        timer = null;
        void refresh();
      }, Math.max(0, lastSent + COALESCE_MS - Date.now()));
    };

    out.onClose(liveEvents().subscribeRun(runId, schedule));
    out.onClose(() => timer && clearTimeout(timer));
    await liveEvents().ready();
    // The first snapshot was read before listening; one more after catches a change in between.
    await serial(() => push(first));
    schedule();
  });
}
