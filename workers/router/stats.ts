import type { VersionMetrics } from "@/server/deploy/types";
import { SlidingHistogram } from "./histogram";

/** The windows `GET /routes` shows; `GET /metrics` answers any window up to MAX_WINDOW_SECONDS. */
export const SUMMARY_WINDOWS_SECONDS = [10, 30, 60] as const;

export interface WindowStats {
  requests: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * Requests, 5xx responses and latency per version of one environment, as the canary
 * analysis reads them. A request counts for the version that was chosen for it, also when
 * the router answered it itself (502: no instance of that version available), because
 * the analysis must see a version failing even when no instance of it could be reached.
 */
export class EnvironmentStats {
  private readonly byVersion = new Map<string, SlidingHistogram>();

  record(version: string, latencyMs: number, status: number, nowMs = Date.now()): void {
    let histogram = this.byVersion.get(version);
    if (!histogram) {
      histogram = new SlidingHistogram();
      this.byVersion.set(version, histogram);
    }
    histogram.record(latencyMs, status >= 500, nowMs);
  }

  /**
   * One entry per version in `versions` (the split in force, with zeros when idle) and per
   * other version with requests in the window, such as one just taken out of the split.
   */
  metrics(windowSeconds: number, versions: Iterable<string>, nowMs = Date.now()): VersionMetrics[] {
    const inSplit = new Set(versions);
    const result: VersionMetrics[] = [];
    for (const version of [...new Set([...inSplit, ...this.byVersion.keys()])].sort()) {
      const summary = this.byVersion.get(version)?.window(windowSeconds, nowMs);
      const requests = summary?.requests ?? 0;
      if (requests === 0 && !inSplit.has(version)) continue;
      result.push({ version, windowSeconds, requests, errors: summary?.errors ?? 0, p99Ms: summary?.quantile(0.99) ?? null });
    }
    return result;
  }

  /** Per version and summary window, for people reading `GET /routes`. */
  summary(nowMs = Date.now()): Record<string, Record<string, WindowStats>> {
    const result: Record<string, Record<string, WindowStats>> = {};
    for (const [version, histogram] of this.byVersion) {
      result[version] = {};
      for (const seconds of SUMMARY_WINDOWS_SECONDS) {
        const w = histogram.window(seconds, nowMs);
        result[version][`${seconds}s`] = { requests: w.requests, errors: w.errors, p50Ms: w.quantile(0.5), p99Ms: w.quantile(0.99) };
      }
    }
    return result;
  }

  /** Drops versions that left the split and had no request in the ring's span, so memory stays bounded. */
  forgetIdle(keep: ReadonlySet<string>, nowMs = Date.now()): void {
    for (const [version, histogram] of this.byVersion) {
      if (!keep.has(version) && histogram.isIdle(nowMs)) this.byVersion.delete(version);
    }
  }
}
