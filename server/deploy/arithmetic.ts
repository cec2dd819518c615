import type { TrafficWeights } from "./types";

/**
 * Replica and weight arithmetic, kept apart from the strategies so each rule is one
 * pure function with a table of cases.
 */

/** A count as is, or a percentage of `total` rounded up (surge) or down (unavailable), as in Kubernetes. */
export function resolveIntOrPercent(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(value);
  if (!match) throw new Error(`"${value}" is neither a count nor a percentage like "25%"`);
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export interface RollingLimits {
  maxSurge: number;
  maxUnavailable: number;
}

/**
 * Kubernetes' ResolveFenceposts: surge rounds up and unavailable rounds down, so small
 * deployments still make progress; if both still come to 0 (e.g. maxSurge 0 and "25%" of
 * 3), one instance may be unavailable, or the rollout could never move.
 */
export function resolveRollingLimits(replicas: number, maxSurge: number | string, maxUnavailable: number | string): RollingLimits {
  const surge = resolveIntOrPercent(maxSurge, replicas, true);
  const unavailable = resolveIntOrPercent(maxUnavailable, replicas, false);
  return { maxSurge: surge, maxUnavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

export interface RollingCounts {
  oldTotal: number;
  oldReady: number;
  newTotal: number;
  newReady: number;
}

export interface RollingBatch {
  /** New instances to start now. */
  start: number;
  /** Ready old instances that may stop now (old instances that are not ready may always stop). */
  stopReadyOld: number;
}

/**
 * One step of a rolling update, as the Kubernetes Deployment controller takes it: start new
 * instances while the total stays within replicas + maxSurge, and stop ready old ones while
 * at least replicas - maxUnavailable instances stay ready.
 */
export function rollingBatch(replicas: number, limits: RollingLimits, counts: RollingCounts): RollingBatch {
  const room = replicas + limits.maxSurge - (counts.oldTotal + counts.newTotal);
  const start = Math.max(0, Math.min(room, replicas - counts.newTotal));
  const minAvailable = minReady(replicas, limits);
  const stopReadyOld = Math.max(0, Math.min(counts.oldReady, counts.oldReady + counts.newReady - minAvailable));
  return { start, stopReadyOld };
}

/** Fewest ready instances a rolling update may leave serving. */
export function minReady(replicas: number, limits: RollingLimits): number {
  return Math.max(0, replicas - limits.maxUnavailable);
}

/** Canary instances needed to carry `weight` percent of the load of `replicas`: rounds up, so any weight above 0 gets one. */
export function replicasForWeight(replicas: number, weight: number): number {
  return Math.ceil((replicas * weight) / 100);
}

/** The split for a canary weight; with no stable version the canary takes everything or nothing. */
export function canaryWeights(stable: string | null, canary: string, weight: number): TrafficWeights {
  if (stable === null) return weight > 0 ? { [canary]: 100 } : {};
  return dropZeros({ [stable]: 100 - weight, [canary]: weight });
}

/**
 * Whole-percent shares proportional to each version's ready instances (largest remainder, so
 * they add up to exactly 100; ties go to the version listed first). Empty when nothing is ready.
 */
export function weightsFromReadyCounts(ready: Record<string, number>): TrafficWeights {
  const entries = Object.entries(ready).filter(([, count]) => count > 0);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return {};
  const shares = entries.map(([version, count], order) => {
    const exact = (count * 100) / total;
    return { version, order, floor: Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let left = 100 - shares.reduce((sum, share) => sum + share.floor, 0);
  for (const share of [...shares].sort((a, b) => b.remainder - a.remainder || a.order - b.order)) {
    if (left === 0) break;
    share.floor += 1;
    left -= 1;
  }
  return dropZeros(Object.fromEntries(shares.map((share) => [share.version, share.floor])));
}

/** Two splits are the same if every version has the same share, a missing version counting as 0. */
export function sameWeights(a: TrafficWeights, b: TrafficWeights): boolean {
  const left = dropZeros(a);
  const right = dropZeros(b);
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => left[key] === right[key]);
}

function dropZeros(weights: TrafficWeights): TrafficWeights {
  return Object.fromEntries(Object.entries(weights).filter(([, weight]) => weight > 0));
}
