import http from "node:http";
import { recordProbe, UNPROBED, probePassed, type HealthCheck, type HealthTally, type WarmUp } from "@/server/deploy";
import type { DeployTarget, ProbeResult } from "./types";

/**
 * One GET of `base + path`, by default without keep-alive (a probe must see a fresh
 * connection, as a new client would). A refused connection is told apart: the process may
 * not listen yet.
 */
export function httpProbe(base: string, check: HealthCheck, signal?: AbortSignal, agent: http.Agent | false = false): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const url = new URL(check.path, base);
    const request = http.get(url, { agent, timeout: check.timeoutSeconds * 1000, signal }, (response) => {
      response.resume();
      response.once("end", () => resolve({ status: response.statusCode ?? null, refused: false }));
      response.once("error", (error) => resolve({ status: null, refused: false, error: error.message }));
    });
    request.once("timeout", () => request.destroy(new Error(`no answer within ${check.timeoutSeconds} s`)));
    request.once("error", (error: NodeJS.ErrnoException) => resolve({ status: null, refused: error.code === "ECONNREFUSED", error: error.message }));
  });
}

/**
 * `Target.warmUp` for targets reached over HTTP (see `warmUpSchema`): the requests one after
 * another over one kept-alive connection, as the router's own are. The first that gets no
 * answer or a server error (5xx), or null: any other answer is the app's to give.
 */
export async function warmUpByProbing(base: string, check: HealthCheck, warmUp: WarmUp, signal?: AbortSignal): Promise<ProbeResult | null> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = { ...check, path: warmUp.path ?? check.path };
  try {
    for (let i = 0; i < warmUp.requests && !signal?.aborted; i++) {
      const result = await httpProbe(base, request, signal, agent);
      if (result.status === null || result.status >= 500) return result;
    }
    return null;
  } finally {
    agent.destroy();
  }
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
