import { describe, expect, it } from "vitest";
import { BUCKET_BOUNDS_MS, bucketIndex, SlidingHistogram } from "./histogram";
import { EnvironmentStats } from "./stats";

const T0 = 1_800_000_000_000;

describe("latency buckets", () => {
  it.each([0, 0.05, 0.1, 0.1001, 1, 3.7, 250, 59_999, 60_000, 90_000, 1e9])("puts %f ms in the bucket whose bounds hold it", (ms) => {
    const index = bucketIndex(ms);
    const upper = BUCKET_BOUNDS_MS[index] ?? Infinity;
    const lower = index === 0 ? 0 : BUCKET_BOUNDS_MS[index - 1];
    expect(ms <= upper).toBe(true);
    expect(index === 0 || ms > lower).toBe(true);
  });
});

describe("sliding latency histogram", () => {
  it("estimates p50 and p99 within one bucket's width", () => {
    const histogram = new SlidingHistogram(60);
    for (let i = 1; i <= 1000; i++) histogram.record(i / 10, false, T0);
    const window = histogram.window(10, T0);
    expect(window.requests).toBe(1000);
    expect(window.quantile(0.5)!).toBeGreaterThan(50 / 1.25);
    expect(window.quantile(0.5)!).toBeLessThan(50 * 1.25);
    expect(window.quantile(0.99)!).toBeGreaterThan(99 / 1.25);
    expect(window.quantile(0.99)!).toBeLessThanOrEqual(100);
  });

  it("never reports a quantile above the slowest request", () => {
    const histogram = new SlidingHistogram(60);
    histogram.record(7, false, T0);
    expect(histogram.window(10, T0).quantile(0.99)).toBeLessThanOrEqual(7);
  });

  it("counts only the seconds inside the window", () => {
    const histogram = new SlidingHistogram(60);
    histogram.record(500, true, T0);
    histogram.record(5, false, T0 + 20_000);
    histogram.record(5, false, T0 + 29_000);
    const now = T0 + 29_500;
    expect(histogram.window(10, now)).toMatchObject({ requests: 2, errors: 0 });
    expect(histogram.window(30, now)).toMatchObject({ requests: 3, errors: 1 });
    expect(histogram.window(10, now).quantile(0.99)).toBeLessThanOrEqual(5);
  });

  it("forgets a second once the ring comes round to its slot again", () => {
    const histogram = new SlidingHistogram(60);
    histogram.record(5, true, T0);
    histogram.record(5, false, T0 + 60_000);
    expect(histogram.window(60, T0 + 60_000)).toMatchObject({ requests: 1, errors: 0 });
    expect(histogram.isIdle(T0 + 200_000)).toBe(true);
  });

  it("answers null latency for a window without requests", () => {
    expect(new SlidingHistogram(60).window(30, T0).quantile(0.99)).toBeNull();
  });
});

describe("per-version stats", () => {
  it("counts requests and 5xx per version and reports every version in the split", () => {
    const stats = new EnvironmentStats();
    stats.record("v1", 10, 200, T0);
    stats.record("v1", 12, 503, T0);
    stats.record("v2", 30, 404, T0);
    expect(stats.metrics(30, ["v1", "v2", "v3"], T0)).toEqual([
      { version: "v1", windowSeconds: 30, requests: 2, errors: 1, p99Ms: expect.any(Number) },
      { version: "v2", windowSeconds: 30, requests: 1, errors: 0, p99Ms: expect.any(Number) },
      { version: "v3", windowSeconds: 30, requests: 0, errors: 0, p99Ms: null },
    ]);
  });

  it("keeps reporting a version that left the split while its requests are in the window", () => {
    const stats = new EnvironmentStats();
    stats.record("old", 10, 500, T0);
    expect(stats.metrics(30, ["new"], T0 + 1_000).map((m) => m.version)).toEqual(["new", "old"]);
    expect(stats.metrics(30, ["new"], T0 + 60_000).map((m) => m.version)).toEqual(["new"]);
    stats.forgetIdle(new Set(["new"]), T0 + 1_000_000);
    expect(stats.summary(T0 + 1_000_000)).toEqual({});
  });
});
