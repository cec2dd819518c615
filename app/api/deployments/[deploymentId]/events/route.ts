import { TRPCError } from "@trpc/server";
import { createHttpContext } from "@/server/api/http-context";
import { createCaller } from "@/server/api/root";
import { readSettings } from "@/server/config/settings";
import type { VersionMetrics } from "@/server/deploy/types";
import type { MetricsSample } from "@/server/schemas/deployment";
import { deploymentScope, errorResponse, liveEvents, snapshotStream, sseResponse } from "@/server/services/live-events";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const COALESCE_MS = 150;
/** How often the router's per-version measurements are sampled for the page's charts, and over what window. */
const METRICS_EVERY_MS = 2_000;
const METRICS_WINDOW_SECONDS = 5;

/**
 * One deployment as Server-Sent Events: a `deployment` event now and after every change, its
 * data `superjson.serialize(deployment)` exactly as `deployments.get` answers (authorised again
 * each time), and for docker and local targets a `metrics` event every two seconds with the
 * router's per-version requests, 5xx and p99 over the last five seconds (a `MetricsSample`).
 */
export async function GET(request: Request, { params }: { params: Promise<{ deploymentId: string }> }) {
  const { deploymentId } = await params;
  const ctx = await createHttpContext(request);
  if (!ctx.user) return errorResponse(new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "Sign in first." }));
  const scope = await deploymentScope(ctx.db, deploymentId);
  if (!scope) return new Response("This deployment does not exist.\n", { status: 404 });
  const api = createCaller(ctx);
  const input = { projectId: scope.projectId, deploymentId };
  const snapshot = () => api.deployments.get(input);
  let first: Awaited<ReturnType<typeof snapshot>>;
  let routed = false;
  try {
    first = await snapshot();
    const target = await api.deployments.target({ projectId: scope.projectId, environmentId: scope.environmentId });
    routed = target !== null && target.settings.target.kind !== "kubernetes";
  } catch (error) {
    return errorResponse(error);
  }
  const routerUrl = `http://127.0.0.1:${readSettings().SLIPWAY_ROUTER_PORT}`;

  return sseResponse(request, async (out) => {
    const stream = snapshotStream(out, { event: "deployment", coalesceMs: COALESCE_MS, first, snapshot });
    const sample = () =>
      stream.serial(async () => {
        if (out.closed) return;
        try {
          const response = await fetch(`${routerUrl}/metrics/${scope.environmentId}?window=${METRICS_WINDOW_SECONDS}`, { signal: AbortSignal.timeout(1_500) });
          const versions = response.ok ? ((await response.json()) as VersionMetrics[]) : [];
          await out.send("metrics", { at: Date.now(), windowSeconds: METRICS_WINDOW_SECONDS, versions } satisfies MetricsSample);
        } catch {
          await out.send("metrics-unavailable", { message: "The router is not answering; its measurements will show when it is back." });
        }
      });

    out.onClose(liveEvents().subscribeDeployment(deploymentId, stream.schedule));
    if (routed) {
      const metrics = setInterval(() => void sample(), METRICS_EVERY_MS);
      out.onClose(() => clearInterval(metrics));
    }
    await liveEvents().ready();
    await stream.start();
    if (routed) void sample();
  });
}
