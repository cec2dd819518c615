import type { Registry } from "prom-client";
import { getDb } from "@/db/client";
import { createMetricsRegistry } from "@/server/services/metrics";

export const dynamic = "force-dynamic";

const globalForMetrics = globalThis as unknown as { slipwayMetrics?: Registry };

export async function GET() {
  globalForMetrics.slipwayMetrics ??= createMetricsRegistry(getDb());
  const registry = globalForMetrics.slipwayMetrics;
  return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
}
