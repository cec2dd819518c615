import { TRPCError } from "@trpc/server";
import { createHttpContext } from "@/server/api/http-context";
import { createCaller } from "@/server/api/root";
import { errorResponse, jobScope } from "@/server/services/live-events";

type ReadableJob = { ctx: Awaited<ReturnType<typeof createHttpContext>>; job: NonNullable<Awaited<ReturnType<typeof jobScope>>> };

/** The job whose log the caller asks for, once they may read its run; else the response that says why not. */
export async function readableJob(request: Request, jobId: string): Promise<ReadableJob | Response> {
  const ctx = await createHttpContext(request);
  if (!ctx.user) return errorResponse(new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "Sign in first." }));
  const job = await jobScope(ctx.db, jobId);
  if (!job) return new Response("This job does not exist.\n", { status: 404 });
  try {
    await createCaller(ctx).runs.get({ projectId: job.projectId, runId: job.runId });
  } catch (error) {
    return errorResponse(error);
  }
  return { ctx, job };
}
