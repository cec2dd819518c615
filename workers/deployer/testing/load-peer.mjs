// The deployment benchmarks' load generator, in its own process so it competes with neither
// the router nor the worker for an event loop:
//   node load-peer.mjs <url> <requestsPerSecond> <maxSockets>
// An open loop: requests start at the given rate whatever the answers do (a slow version
// shows as latency, not as fewer requests), over keep-alive connections. One line per
// answer on stdout: "<startEpochMs> <latencyMs> <status>" (status 0: no answer). SIGTERM
// stops new requests, waits up to 5 s for those in flight, and exits.
import http from "node:http";
import { performance } from "node:perf_hooks";

const [url, rate, sockets] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 128)];
const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
const origin = performance.timeOrigin;
const started = performance.now();
let sent = 0;
let inFlight = 0;
let lines = [];

// The benchmark that reads us went away: nobody needs the rest.
process.stdout.on("error", () => process.exit(0));

const flush = () => {
  if (lines.length) process.stdout.write(lines.join("\n") + "\n");
  lines = [];
};

function fire() {
  const at = performance.now();
  inFlight++;
  const done = (status) => {
    inFlight--;
    lines.push(`${Math.round(origin + at)} ${(performance.now() - at).toFixed(3)} ${status}`);
  };
  const request = http.get(url, { agent }, (response) => {
    response.resume();
    response.on("end", () => done(response.statusCode ?? 0));
    response.on("error", () => done(0));
  });
  request.on("error", () => done(0));
}

const ticker = setInterval(() => {
  const due = Math.floor(((performance.now() - started) / 1000) * rate);
  while (sent < due) {
    sent++;
    fire();
  }
}, 2);
const flusher = setInterval(flush, 100);

process.on("SIGTERM", () => {
  clearInterval(ticker);
  const deadline = performance.now() + 5_000;
  const wait = setInterval(() => {
    if (inFlight > 0 && performance.now() < deadline) return;
    clearInterval(wait);
    clearInterval(flusher);
    flush();
    process.exit(0);
  }, 10);
});
