/**
 * Smooth weighted round-robin, as nginx balances its upstreams: every pick adds each
 * entry's weight to its running score, takes the highest score and subtracts the total
 * from it. Over every `total` consecutive picks each entry is chosen exactly `weight`
 * times, spread out rather than in runs, so a 10% canary gets 1 request in every 10
 * from the first request on, where a random choice would only get there on average.
 *
 * Weights are divided by their greatest common divisor first, which keeps the promise for
 * the shortest cycle: 90/10 becomes 9/1, so every 10 consecutive requests hold one canary.
 */
export class SmoothWeightedRoundRobin<K> {
  private readonly keys: K[] = [];
  private readonly weights: number[] = [];
  private readonly scores: number[] = [];
  private readonly total: number;

  constructor(entries: Iterable<{ key: K; weight: number }>) {
    const positive = [...entries].filter((e) => e.weight > 0);
    const divisor = positive.reduce((g, e) => gcd(g, e.weight), 0) || 1;
    for (const entry of positive) {
      this.keys.push(entry.key);
      this.weights.push(entry.weight / divisor);
      this.scores.push(0);
    }
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }

  /** True when every weight is 0: there is nothing to pick. */
  get isEmpty(): boolean {
    return this.keys.length === 0;
  }

  /** The next key in the smooth sequence, or undefined when every weight is 0. */
  next(): K | undefined {
    let best = -1;
    for (let i = 0; i < this.keys.length; i++) {
      this.scores[i] += this.weights[i];
      if (best < 0 || this.scores[i] > this.scores[best]) best = i;
    }
    if (best < 0) return undefined;
    this.scores[best] -= this.total;
    return this.keys[best];
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A stable text form of a split, so the router keeps its sequence when only backends change. */
export function weightsKey(weights: Iterable<{ version: string; weight: number }>): string {
  return [...weights]
    .filter((w) => w.weight > 0)
    .map((w) => `${w.version}=${w.weight}`)
    .sort()
    .join(",");
}
