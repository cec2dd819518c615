import type { TrafficWeights, VersionMetrics } from "@/server/deploy/types";
import type { RouteDescription } from "./admin";

/**
 * What the docker and local targets read from the router's admin port. Writes go through
 * the database (server/services/routing.ts); these reads show what the router has in
 * force and what it measured, which is what `getTraffic` and `readMetrics` must report.
 */

export class RouterUnavailableError extends Error {}

const REQUEST_TIMEOUT_MS = 2_000;

async function getJson<T>(routerUrl: string, path: string): Promise<T | null> {
  let response: Response;
  try {
    response = await fetch(`${routerUrl}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new RouterUnavailableError(`the router at ${routerUrl} did not answer: ${(error as Error).message}`);
  }
  if (response.status === 404) return null;
  if (!response.ok) throw new RouterUnavailableError(`the router answered ${response.status} to ${path}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** `Target.readMetrics`: per version over the last `windowSeconds` (1..900); empty when the router serves no such environment. */
export async function readRouterMetrics(routerUrl: string, environmentId: string, windowSeconds: number): Promise<VersionMetrics[]> {
  return (await getJson<VersionMetrics[]>(routerUrl, `/metrics/${environmentId}?window=${windowSeconds}`)) ?? [];
}

/** `Target.getTraffic`: the split the router serves now (versions with weight above 0). */
export async function readRouterTraffic(routerUrl: string, environmentId: string): Promise<TrafficWeights> {
  return (await getJson<RouteDescription>(routerUrl, `/routes/${environmentId}`))?.weights ?? {};
}

/**
 * For `stopInstance(id, { drain: true })`, after `drainBackend`: resolves once the router
 * reports the backend drained (or no longer has it), so the instance can stop without
 * cutting a request. Rejects after `timeoutMs`; the caller decides whether to stop anyway.
 */
export async function waitForBackendDrained(
  routerUrl: string,
  environmentId: string,
  backendUrl: string,
  { timeoutMs = 30_000, intervalMs = 100, signal }: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const origin = new URL(backendUrl).origin;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const route = await getJson<RouteDescription>(routerUrl, `/routes/${environmentId}`);
    const backend = route?.backends.find((b) => b.url === origin);
    if (!backend || backend.drained) return;
    if (Date.now() >= deadline) {
      throw new Error(`${origin} still had ${backend.inFlight} requests in flight (state ${backend.state}) after ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
