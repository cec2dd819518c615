import http from "node:http";
import { recordProbe, UNPROBED, probePassed, type HealthCheck, type HealthTally } from "@/server/deploy";
import type { DeployTarget, ProbeResult } from "./types";

/**
 * One GET of `base + path` without keep-alive (a probe must see a fresh connection, as a
 * new client would). A refused connection is told apart: the process may not listen yet.
 */
export function httpProbe(base: string, check: HealthCheck, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const url = new URL(check.path, base);
    const request = http.get(url, { agent: false, timeout: check.timeoutSeconds * 1000, signal }, (response) => {
      response.resume();
      response.once("end", () => resolve({ status: response.statusCode ?? null, refused: false }));
      response.once("error", (error) => resolve({ status: null, refused: false, error: error.message }));
    });
    request.once("timeout", () => request.destroy(new Error(`no answer within ${check.timeoutSeconds} s`)));
    request.once("error", (error: NodeJS.ErrnoException) => resolve({ status: null, refused: error.code === "ECONNREFUSED", error: error.message }));
  });
}

/**
 * Requests a new instance answers on its health path before it joins traffic. A Node app
 * just started answers its first requests about 20 ms late while V8 compiles its request
 * path; these take that delay instead of the users' requests (the idea of AWS ALB's slow
 * start and of Azure App Service's warm-up before a slot swap).
 */
export const WARM_UP_REQUESTS = 20;

/** `Target.warmUp` for targets reached over HTTP: the probes one after another; the first that fails its check, or null. */
export async function warmUpByProbing(base: string, check: HealthCheck, signal?: AbortSignal): Promise<ProbeResult | null> {
  for (let i = 0; i < WARM_UP_REQUESTS && !signal?.aborted; i++) {
    const result = await httpProbe(base, check, signal);
    if (!probePassed(result.status, check)) return result;
  }
  return null;
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no listener behind on the signal either way. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** `Target.waitReady` for targets that can probe: probes as the check says until ready or unhealthy. */
export async function waitReadyByProbing(
  target: Pick<DeployTarget, "probe">,
  instanceId: string,
  check: HealthCheck,
  { signal, onProbe }: { signal?: AbortSignal; onProbe?: (tally: HealthTally) => void },
): Promise<HealthTally> {
  let tally = UNPROBED;
  await sleep(check.initialDelaySeconds * 1000, signal);
  while (!signal?.aborted) {
    const { status } = await target.probe(instanceId, check, signal);
    tally = recordProbe(tally, probePassed(status, check), check);
    onProbe?.(tally);
    if (tally.ready || tally.consecutiveFailures >= check.failureThreshold) return tally;
    await sleep(check.intervalSeconds * 1000, signal);
  }
  return tally;
}

export { sleep };
