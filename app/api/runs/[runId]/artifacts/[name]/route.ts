import { Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { createHttpContext } from "@/server/api/http-context";
import { createCaller } from "@/server/api/root";
import { readSettings } from "@/server/config/settings";
import { openArtifactStream } from "@/server/services/artifacts";
import { NotFoundError } from "@/server/services/errors";
import { errorResponse, runScope } from "@/server/services/live-events";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Downloads a run's artifact as the gzipped tar it is stored as, for anyone who may view the run. */
export async function GET(request: Request, { params }: { params: Promise<{ runId: string; name: string }> }) {
  const { runId, name } = await params;
  const ctx = await createHttpContext(request);
  if (!ctx.user) return errorResponse(new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "Sign in first." }));
  const scope = await runScope(ctx.db, runId);
  if (!scope) return new Response("This run does not exist.\n", { status: 404 });
  try {
    await createCaller(ctx).runs.get({ projectId: scope.projectId, runId });
    const artifact = await openArtifactStream(ctx.db, { dataDir: readSettings().dataDir, runId, name });
    return new Response(Readable.toWeb(artifact.stream) as ReadableStream<Uint8Array>, {
      headers: {
        "content-type": artifact.contentType,
        "content-length": String(artifact.size),
        "content-disposition": `attachment; filename="${artifact.filename}"`,
        "cache-control": "private, max-age=0, must-revalidate",
        etag: `"${artifact.digest}"`,
      },
    });
  } catch (error) {
    if (error instanceof NotFoundError) return new Response(`${error.message}\n`, { status: 404 });
    return errorResponse(error);
  }
}
