/**
 * Latency histogram with fixed buckets and a ring of one slot per second, so the router
 * can answer "p99 over the last N seconds" for any N up to the ring's length without
 * keeping every sample. Recording is O(1) and allocation-free, which matters on the
 * request path; a query adds up at most N slots.
 *
 * Buckets grow by 25% from 0.1 ms to 60 s (plus one overflow bucket), so a quantile is
 * off by at most one bucket's width; interpolating inside the bucket and capping at the
 * slowest request seen keeps the estimate close in practice.
 */

const FIRST_BOUND_MS = 0.1;
const GROWTH = 1.25;
const LAST_BOUND_MS = 60_000;
const LOG_GROWTH = Math.log(GROWTH);

/** Upper bounds of the finite buckets; one more bucket holds everything slower. */
export const BUCKET_BOUNDS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let bound = FIRST_BOUND_MS; bound < LAST_BOUND_MS * GROWTH; bound *= GROWTH) bounds.push(bound);
  return bounds;
})();
const BUCKETS = BUCKET_BOUNDS_MS.length + 1;

/** Longest window the ring can answer: 15 minutes. */
export const MAX_WINDOW_SECONDS = 900;

export function bucketIndex(latencyMs: number): number {
  if (!(latencyMs > FIRST_BOUND_MS)) return 0;
  // The logarithm lands within one bucket; the two checks fix floating-point edges.
  let index = Math.min(Math.ceil(Math.log(latencyMs / FIRST_BOUND_MS) / LOG_GROWTH), BUCKETS - 1);
  while (index > 0 && latencyMs <= BUCKET_BOUNDS_MS[index - 1]) index--;
  while (index < BUCKETS - 1 && latencyMs > BUCKET_BOUNDS_MS[index]) index++;
  return index;
}

export interface WindowSummary {
  requests: number;
  errors: number;
  /** Latency (ms) below which the fraction `q` of the window's requests finished; null without requests. */
  quantile(q: number): number | null;
}

export class SlidingHistogram {
  private readonly slotSecond: Float64Array;
  private readonly requests: Uint32Array;
  private readonly errors: Uint32Array;
  private readonly slowestMs: Float64Array;
  private readonly counts: Uint32Array;

  constructor(readonly capacitySeconds = MAX_WINDOW_SECONDS) {
    this.slotSecond = new Float64Array(capacitySeconds).fill(-1);
    this.requests = new Uint32Array(capacitySeconds);
    this.errors = new Uint32Array(capacitySeconds);
    this.slowestMs = new Float64Array(capacitySeconds);
    this.counts = new Uint32Array(capacitySeconds * BUCKETS);
  }

  record(latencyMs: number, isError: boolean, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.capacitySeconds;
    if (this.slotSecond[slot] !== second) {
      // The slot still holds a second that has left the ring: start it afresh.
      this.slotSecond[slot] = second;
      this.requests[slot] = 0;
      this.errors[slot] = 0;
      this.slowestMs[slot] = 0;
      this.counts.fill(0, slot * BUCKETS, (slot + 1) * BUCKETS);
    }
    this.requests[slot]++;
    if (isError) this.errors[slot]++;
    if (latencyMs > this.slowestMs[slot]) this.slowestMs[slot] = latencyMs;
    this.counts[slot * BUCKETS + bucketIndex(latencyMs)]++;
  }

  /** The current second and the `windowSeconds - 1` before it. */
  window(windowSeconds: number, nowMs: number): WindowSummary {
    const seconds = Math.max(1, Math.min(Math.floor(windowSeconds), this.capacitySeconds));
    const newest = Math.floor(nowMs / 1000);
    const merged = new Float64Array(BUCKETS);
    let requests = 0;
    let errors = 0;
    let slowest = 0;
    for (let second = newest - seconds + 1; second <= newest; second++) {
      const slot = second % this.capacitySeconds;
      if (this.slotSecond[slot] !== second) continue;
      requests += this.requests[slot];
      errors += this.errors[slot];
      slowest = Math.max(slowest, this.slowestMs[slot]);
      for (let b = 0; b < BUCKETS; b++) merged[b] += this.counts[slot * BUCKETS + b];
    }
    return { requests, errors, quantile: (q) => quantileOf(merged, requests, slowest, q) };
  }

  /** True when no request landed in the ring's whole span, so the histogram can be dropped. */
  isIdle(nowMs: number): boolean {
    return this.window(this.capacitySeconds, nowMs).requests === 0;
  }
}

function quantileOf(counts: Float64Array, total: number, slowestMs: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    if (counts[b] === 0) continue;
    if (seen + counts[b] >= rank) {
      const lower = b === 0 ? 0 : BUCKET_BOUNDS_MS[b - 1];
      const upper = b < BUCKET_BOUNDS_MS.length ? BUCKET_BOUNDS_MS[b] : slowestMs;
      const estimate = lower + ((upper - lower) * (rank - seen)) / counts[b];
      return Math.min(estimate, slowestMs);
    }
    seen += counts[b];
  }
  return slowestMs;
}
