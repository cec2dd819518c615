import { getDb } from "@/db/client";
import { readSettings } from "@/server/config/settings";
import { checkHealth } from "@/server/services/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const settings = readSettings();
  const report = await checkHealth(getDb(), `http://127.0.0.1:${settings.SLIPWAY_ROUTER_PORT}`);
  return Response.json({ status: report.ok ? "ok" : "degraded", ...report }, { status: report.ok ? 200 : 503 });
}
