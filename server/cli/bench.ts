import { benchIdleRss, benchStartToHealthy } from "@/server/bench/startup.bench";
import type { Figure } from "@/server/bench/figure";

/**
 * `npm run bench [-- NAME...]`: runs the benchmarks that produce the named
 * figures (all when none is named) and prints one JSON line per figure.
 */
const benches: Array<{ figures: string[]; run: () => Promise<Figure[]> }> = [
  { figures: ["start_to_healthy_ms"], run: benchStartToHealthy },
  { figures: ["idle_rss_mb"], run: benchIdleRss },
];

async function main() {
  const wanted = process.argv.slice(2);
  const known = benches.flatMap((b) => b.figures);
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length) {
    console.error(`Unknown benchmark ${unknown.join(", ")}; known: ${known.join(", ")}`);
    process.exit(2);
  }
  for (const bench of benches) {
    if (wanted.length && !bench.figures.some((f) => wanted.includes(f))) continue;
    for (const figure of await bench.run()) {
      if (!wanted.length || wanted.includes(figure.name)) console.log(JSON.stringify(figure));
    }
  }
}

main().catch((error) => {
  console.error(`bench failed: ${(error as Error).stack}`);
  process.exit(1);
});
