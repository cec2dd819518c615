import { describe, expect, it } from "vitest";
import { SmoothWeightedRoundRobin, weightsKey } from "./weighted";

function picks(weights: Record<string, number>, count: number): string[] {
  const balancer = new SmoothWeightedRoundRobin(Object.entries(weights).map(([key, weight]) => ({ key, weight })));
  return Array.from({ length: count }, () => balancer.next()!);
}

function tally(sequence: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of sequence) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

describe("smooth weighted round-robin", () => {
  it.each<{ weights: Record<string, number>; count: number; expected: Record<string, number> }>([
    { weights: { stable: 90, canary: 10 }, count: 100, expected: { stable: 90, canary: 10 } },
    { weights: { stable: 50, canary: 50 }, count: 100, expected: { stable: 50, canary: 50 } },
    { weights: { a: 50, b: 30, c: 20 }, count: 100, expected: { a: 50, b: 30, c: 20 } },
    { weights: { stable: 99, canary: 1 }, count: 100, expected: { stable: 99, canary: 1 } },
    { weights: { stable: 67, canary: 33 }, count: 300, expected: { stable: 201, canary: 99 } },
    { weights: { only: 100 }, count: 7, expected: { only: 7 } },
  ])("splits $weights exactly over $count picks", ({ weights, count, expected }) => {
    expect(tally(picks(weights, count))).toEqual(expected);
  });

  it("sends a 10% canary exactly one request in every ten, from the first request on", () => {
    const sequence = picks({ stable: 90, canary: 10 }, 100);
    for (let start = 0; start < 100; start += 10) {
      expect(sequence.slice(start, start + 10).filter((k) => k === "canary")).toHaveLength(1);
    }
  });

  it("interleaves instead of sending runs, as nginx does for 5:1:1", () => {
    expect(picks({ a: 5, b: 1, c: 1 }, 7)).toEqual(["a", "a", "b", "a", "c", "a", "a"]);
  });

  it("never picks a version with weight 0", () => {
    expect(new Set(picks({ stable: 100, old: 0 }, 50))).toEqual(new Set(["stable"]));
  });

  it("has nothing to pick when every weight is 0", () => {
    const balancer = new SmoothWeightedRoundRobin([{ key: "old", weight: 0 }]);
    expect(balancer.isEmpty).toBe(true);
    expect(balancer.next()).toBeUndefined();
  });
});

describe("split keys", () => {
  it("ignore order and zero weights, so a reload with the same split keeps the sequence", () => {
    expect(weightsKey([{ version: "b", weight: 10 }, { version: "a", weight: 90 }, { version: "c", weight: 0 }])).toBe(
      weightsKey([{ version: "a", weight: 90 }, { version: "b", weight: 10 }]),
    );
  });
});
