import { describe, expect, it } from "vitest";
import {
  canaryWeights,
  replicasForWeight,
  resolveIntOrPercent,
  resolveRollingLimits,
  rollingBatch,
  sameWeights,
  weightsFromReadyCounts,
} from "./arithmetic";

describe("resolveRollingLimits", () => {
  it.each([
    // replicas, maxSurge, maxUnavailable -> surge, unavailable
    [10, "25%", "25%", 3, 2],
    [4, "25%", "25%", 1, 1],
    [1, "25%", "25%", 1, 0],
    [3, "50%", "50%", 2, 1],
    [10, "0%", "10%", 0, 1],
    [10, 2, 0, 2, 0],
    [5, "100%", "100%", 5, 5],
    // Both round to 0: one instance may be unavailable, as Kubernetes' ResolveFenceposts does.
    [3, 0, "25%", 0, 1],
    [1, "0%", "50%", 0, 1],
  ])("replicas %i, maxSurge %s, maxUnavailable %s -> surge %i, unavailable %i", (replicas, surge, unavailable, wantSurge, wantUnavailable) => {
    expect(resolveRollingLimits(replicas, surge, unavailable)).toEqual({ maxSurge: wantSurge, maxUnavailable: wantUnavailable });
  });

  it("rejects a value that is neither a count nor a percentage", () => {
    expect(() => resolveIntOrPercent("lots", 10, true)).toThrow('"lots" is neither a count nor a percentage like "25%"');
  });
});

describe("rollingBatch", () => {
  const limits = { maxSurge: 3, maxUnavailable: 2 };
  it.each([
    // oldTotal, oldReady, newTotal, newReady -> start, stopReadyOld (replicas 10, surge 3, unavailable 2)
    [10, 10, 0, 0, 3, 2],
    [8, 8, 3, 0, 2, 0],
    [8, 8, 5, 3, 0, 3],
    [5, 5, 5, 5, 3, 2],
    [3, 3, 8, 5, 2, 0],
    [3, 3, 10, 9, 0, 3],
    [0, 0, 10, 10, 0, 0],
    // Unready old instances leave no availability to spend.
    [10, 7, 0, 0, 3, 0],
    // A first deployment starts everything the surge allows.
    [0, 0, 0, 0, 10, 0],
  ])("old %i (%i ready), new %i (%i ready) -> start %i, stop %i ready old", (oldTotal, oldReady, newTotal, newReady, start, stopReadyOld) => {
    expect(rollingBatch(10, limits, { oldTotal, oldReady, newTotal, newReady })).toEqual({ start, stopReadyOld });
  });

  it("replaces one at a time with maxSurge 0: stop first, then start", () => {
    const oneDown = { maxSurge: 0, maxUnavailable: 1 };
    expect(rollingBatch(3, oneDown, { oldTotal: 3, oldReady: 3, newTotal: 0, newReady: 0 })).toEqual({ start: 0, stopReadyOld: 1 });
    expect(rollingBatch(3, oneDown, { oldTotal: 2, oldReady: 2, newTotal: 0, newReady: 0 })).toEqual({ start: 1, stopReadyOld: 0 });
  });
});

describe("replicasForWeight", () => {
  it.each([
    [10, 0, 0],
    [10, 5, 1],
    [10, 25, 3],
    [10, 50, 5],
    [10, 100, 10],
    [3, 33, 1],
    [3, 34, 2],
    [1, 1, 1],
    [4, 20, 1],
  ])("replicas %i at %i%% -> %i canary instances", (replicas, weight, expected) => {
    expect(replicasForWeight(replicas, weight)).toBe(expected);
  });
});

describe("canaryWeights", () => {
  it.each([
    ["v1", 0, { v1: 100 }],
    ["v1", 20, { v1: 80, v2: 20 }],
    ["v1", 100, { v2: 100 }],
    [null, 0, {}],
    [null, 20, { v2: 100 }],
  ] as const)("stable %s at %i%% -> %j", (stable, weight, expected) => {
    expect(canaryWeights(stable, "v2", weight)).toEqual(expected);
  });
});

describe("weightsFromReadyCounts", () => {
  it.each([
    [{ v1: 3, v2: 1 }, { v1: 75, v2: 25 }],
    [{ v1: 2, v2: 1 }, { v1: 67, v2: 33 }],
    [{ v1: 1, v2: 1, v3: 1 }, { v1: 34, v2: 33, v3: 33 }],
    [{ v1: 0, v2: 4 }, { v2: 100 }],
    [{ v1: 0 }, {}],
    [{}, {}],
  ])("%j ready -> %j", (ready, expected) => {
    expect(weightsFromReadyCounts(ready)).toEqual(expected);
  });
});

describe("sameWeights", () => {
  it.each([
    [{ v1: 100 }, { v1: 100, v2: 0 }, true],
    [{ v1: 80, v2: 20 }, { v2: 20, v1: 80 }, true],
    [{ v1: 80, v2: 20 }, { v1: 100 }, false],
    [{}, {}, true],
    [{ v1: 100 }, { v2: 100 }, false],
  ])("%j vs %j -> %s", (a, b, expected) => {
    expect(sameWeights(a, b)).toBe(expected);
  });
});
