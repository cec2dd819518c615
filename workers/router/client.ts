import { request, type Dispatcher } from "undici";
import type { TrafficWeights, VersionMetrics } from "@/server/deploy/types";
import type { RouteEntry } from "@/server/services/routing";
import type { RouteDescription } from "./admin";
import type { PushOutcome } from "./route-table";

/**
 * What the docker and local targets say to the router's admin port. Writes go to the
 * database (server/services/routing.ts), and the route as committed is then pushed here so
 * it is in force at once; the reads show what the router has in force and what it
 * measured, which is what `getTraffic` and `readMetrics` must report.
 */

export class RouterUnavailableError extends Error {}

const REQUEST_TIMEOUT_MS = 2_000;

/*
 * undici's `request` on its keep-alive pool, not `fetch`: a deployment asks the router
 * several times a second, on the machine whose apps it deploys. Measured here, a call
 * cost about 0.7 ms of CPU through fetch (its web streams) and 0.2 ms through request,
 * client and server together.
 */
const timeouts = (ms: number) => ({ headersTimeout: ms, bodyTimeout: ms });

async function getJson<T>(routerUrl: string, path: string): Promise<T | null> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(`${routerUrl}${path}`, timeouts(REQUEST_TIMEOUT_MS));
  } catch (error) {
    throw new RouterUnavailableError(`the router at ${routerUrl} did not answer: ${(error as Error).message}`);
  }
  if (response.statusCode === 404) {
    await response.body.dump();
    return null;
  }
  if (response.statusCode >= 300) throw new RouterUnavailableError(`the router answered ${response.statusCode} to ${path}: ${await response.body.text()}`);
  return (await response.body.json()) as T;
}

/** A push that takes longer is left to the database notification, which carries the same change. */
const PUSH_TIMEOUT_MS = 1_000;

/**
 * Hands the router a route just committed to the database (see `Router.push`). Never
 * throws: when the router is down or slow, the database notification brings it the same
 * change, and a restarted router reads it; null then.
 */
export async function pushRoute(routerUrl: string, entry: RouteEntry): Promise<PushOutcome | null> {
  return put(`${routerUrl}/routes/${entry.environmentId}`, entry);
}

async function put(url: string, body: unknown): Promise<PushOutcome | null> {
  try {
    const response = await request(url, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      ...timeouts(PUSH_TIMEOUT_MS),
    });
    const answer = (await response.body.json().catch(() => null)) as { outcome?: PushOutcome } | null;
    return response.statusCode < 300 ? (answer?.outcome ?? null) : null;
  } catch {
    return null;
  }
}

/**
 * Has the router serve `weights` now, ahead of writing them to the database (see
 * `Router.hold`); the committed route pushed after the write confirms it. Never throws:
 * null when the router did not take it.
 */
export async function holdSplit(routerUrl: string, environmentId: string, weights: TrafficWeights): Promise<PushOutcome | null> {
  return put(`${routerUrl}/routes/${environmentId}/split`, { weights });
}

/** `Target.readMetrics`: per version over the last `windowSeconds` (1..900); empty when the router serves no such environment. */
export async function readRouterMetrics(routerUrl: string, environmentId: string, windowSeconds: number): Promise<VersionMetrics[]> {
  return (await getJson<VersionMetrics[]>(routerUrl, `/metrics/${environmentId}?window=${windowSeconds}`)) ?? [];
}

/** The split the router serves now (versions with weight above 0), a held one included. */
export async function readRouterTraffic(routerUrl: string, environmentId: string): Promise<TrafficWeights> {
  return (await getJson<RouteDescription>(routerUrl, `/routes/${environmentId}`))?.weights ?? {};
}

/**
 * `Target.getTraffic`: the split the router serves as the database has it. A split held
 * ahead of its write does not count until the write landed, so a deployment never moves on
 * (stopping the instances traffic left, say) on a change that could still be taken back.
 */
export async function readRouterCommittedTraffic(routerUrl: string, environmentId: string): Promise<TrafficWeights> {
  return (await getJson<RouteDescription>(routerUrl, `/routes/${environmentId}`))?.committedWeights ?? {};
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
