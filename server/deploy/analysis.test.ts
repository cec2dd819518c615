import { describe, expect, it } from "vitest";
import { analysisWindows, analyze, metricsFor } from "./analysis";
import { analysisSchema, deploymentSpecSchema } from "./spec";
import type { VersionMetrics } from "./types";

const check = analysisSchema.parse({ windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05, maxP99Ms: 500, maxP99RatioToStable: 2 });

function window(version: string, requests: number, errors: number, p99Ms: number | null): VersionMetrics {
  return { version, windowSeconds: 30, requests, errors, p99Ms };
}

describe("analyze", () => {
  it.each([
    // canary requests, errors, p99; stable p99 -> verdict, reason
    [0, 0, null, 100, "inconclusive", "Waiting for at least 20 canary requests over the last 30 s (0 so far)"],
    [19, 19, 900, 100, "inconclusive", "Waiting for at least 20 canary requests over the last 30 s (19 so far)"],
    [40, 5, 100, 100, "fail", "Canary error rate 12.5% over the last 30 s (40 requests) exceeded the limit of 5%"],
    [40, 2, 100, 100, "pass", "Canary within limits over the last 30 s: error rate 5% of 40 requests, p99 100 ms"],
    [40, 0, 650, 400, "fail", "Canary p99 latency 650 ms over the last 30 s exceeded the limit of 500 ms"],
    [40, 0, 450, 150, "fail", "Canary p99 latency 450 ms over the last 30 s is 3× stable's 150 ms, above the limit of 2×"],
    [40, 0, 300, 150, "pass", "Canary within limits over the last 30 s: error rate 0% of 40 requests, p99 300 ms"],
    // Stable without traffic has no p99 to compare with.
    [40, 0, 450, null, "pass", "Canary within limits over the last 30 s: error rate 0% of 40 requests, p99 450 ms"],
  ])("canary %i requests, %i errors, p99 %s vs stable %s -> %s", (requests, errors, p99, stableP99, verdict, reason) => {
    const stable = window("v1", stableP99 === null ? 0 : 200, 0, stableP99);
    expect(analyze(check, window("v2", requests, errors, p99), stable)).toEqual({ verdict, reason });
  });

  it("is inconclusive without metrics for the window", () => {
    expect(analyze(check, undefined, undefined).verdict).toBe("inconclusive");
  });

  it("reads only the metrics of the version and window asked for", () => {
    const metrics = [window("v1", 10, 0, 1), { ...window("v2", 20, 0, 2), windowSeconds: 60 }, window("v2", 30, 0, 3)];
    expect(metricsFor(metrics, "v2", 30)?.requests).toBe(30);
    expect(metricsFor(metrics, "v3", 30)).toBeUndefined();
  });

  it("lists each analysis window of a canary once", () => {
    const spec = deploymentSpecSchema.parse({
      strategy: "canary",
      steps: [{ analysis: { windowSeconds: 60 } }, { setWeight: 50 }, { analysis: { windowSeconds: 30 } }, { analysis: {} }],
    });
    expect(analysisWindows(spec)).toEqual([30, 60]);
    expect(analysisWindows(deploymentSpecSchema.parse({ strategy: "rolling" }))).toEqual([]);
  });
});
