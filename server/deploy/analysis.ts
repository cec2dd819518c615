import type { AnalysisCheck, DeploymentSpec } from "./spec";
import type { VersionMetrics } from "./types";

export type AnalysisVerdict =
  | { verdict: "pass"; reason: string }
  | { verdict: "fail"; reason: string }
  /** Too few requests to judge yet. */
  | { verdict: "inconclusive"; reason: string };

/** The measurements of `version` over exactly `windowSeconds`, if the worker reported them. */
export function metricsFor(metrics: VersionMetrics[], version: string, windowSeconds: number): VersionMetrics | undefined {
  return metrics.find((entry) => entry.version === version && entry.windowSeconds === windowSeconds);
}

/** The windows the worker must read router metrics over for this spec, each once. */
export function analysisWindows(spec: DeploymentSpec): number[] {
  if (spec.strategy !== "canary") return [];
  const windows = spec.steps.flatMap((step) => ("analysis" in step ? [step.analysis.windowSeconds] : []));
  return [...new Set(windows)].sort((a, b) => a - b);
}

/**
 * Judges the canary over the sliding window: inconclusive until minRequests, then failing on
 * the error rate, the absolute p99, or the p99 relative to stable. Limits are inclusive: a
 * rate equal to maxErrorRate passes. The relative check is skipped when stable has no p99
 * (no traffic), since there is nothing to compare with.
 */
export function analyze(check: AnalysisCheck, canary: VersionMetrics | undefined, stable: VersionMetrics | undefined): AnalysisVerdict {
  const window = `over the last ${check.windowSeconds} s`;
  const requests = canary?.requests ?? 0;
  if (canary === undefined || requests < check.minRequests) {
    return { verdict: "inconclusive", reason: `Waiting for at least ${check.minRequests} canary requests ${window} (${requests} so far)` };
  }

  const errorRate = canary.errors / canary.requests;
  if (errorRate > check.maxErrorRate) {
    return {
      verdict: "fail",
      reason: `Canary error rate ${percent(errorRate)} ${window} (${requests} requests) exceeded the limit of ${percent(check.maxErrorRate)}`,
    };
  }

  const p99 = canary.p99Ms;
  if (p99 !== null && check.maxP99Ms !== undefined && p99 > check.maxP99Ms) {
    return { verdict: "fail", reason: `Canary p99 latency ${round(p99)} ms ${window} exceeded the limit of ${round(check.maxP99Ms)} ms` };
  }

  const stableP99 = stable?.p99Ms ?? null;
  if (p99 !== null && stableP99 !== null && stableP99 > 0 && check.maxP99RatioToStable !== undefined) {
    const ratio = p99 / stableP99;
    if (ratio > check.maxP99RatioToStable) {
      return {
        verdict: "fail",
        reason: `Canary p99 latency ${round(p99)} ms ${window} is ${round(ratio)}× stable's ${round(stableP99)} ms, above the limit of ${round(check.maxP99RatioToStable)}×`,
      };
    }
  }

  const latency = p99 === null ? "" : `, p99 ${round(p99)} ms`;
  return { verdict: "pass", reason: `Canary within limits ${window}: error rate ${percent(errorRate)} of ${requests} requests${latency}` };
}

function percent(rate: number): string {
  return `${round(rate * 100)}%`;
}

/** At most two decimals and no trailing zeros: 12.5, 5, 0.33. */
function round(value: number): string {
  return String(Number(value.toFixed(2)));
}
