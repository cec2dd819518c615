import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { freePort } from "@/server/config/ports";
import { startRouter } from "./router";
import { entry } from "./testing";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const PEERS = path.join(import.meta.dirname, "bench-peers.mjs");
const WARMUP_REQUESTS = 3_000;
const LATENCY_ROUNDS = 10;
const LATENCY_REQUESTS_PER_ROUND = 500;
const LOAD_CONNECTIONS = 64;
const LOAD_MS = 5_000;

/**
 * The router's overhead, loopback only: the upstream and the load generator run as child
 * processes, so the router (in this process) competes with neither for its event loop.
 *
 * - router_added_p50_ms: median latency of sequential keep-alive GETs through the router
 *   minus the median straight to the same upstream, measured in alternating rounds so
 *   drift (JIT, CPU frequency) affects both alike.
 * - router_req_per_s: responses per second through the router with LOAD_CONNECTIONS
 *   keep-alive connections for LOAD_MS; beside it, the same load through a minimal node:http
 *   proxy (bench-peers.mjs proxy), for scale: rates swing with what else runs on the machine.
 */
export async function benchRouter(): Promise<BenchResult[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-router-bench-"));
  const children: ChildProcess[] = [];
  const router = await startRouter({ dataDir, listenHost: "127.0.0.1" });
  try {
    const upstream = await startPeer(children, ["upstream"]);
    const { port: upstreamPort } = JSON.parse(upstream.line) as { port: number };
    const routerPort = await freePort();
    await router.apply({ environments: [entry(routerPort, { v1: { weight: 100, backends: [`http://127.0.0.1:${upstreamPort}`] } })] });

    const added = await addedLatencyMs(upstreamPort, routerPort);
    const load = JSON.parse((await startPeer(children, ["load", String(routerPort), String(LOAD_CONNECTIONS), String(LOAD_MS)], LOAD_MS + 15_000)).line) as {
      responses: number;
      non2xx: number;
      errors: number;
      ms: number;
    };
    if (load.non2xx > 0 || load.errors > 0) throw new Error(`the load run saw ${load.non2xx} non-2xx responses and ${load.errors} connection errors`);
    const bare = await startPeer(children, ["proxy", String(upstreamPort)]);
    const { port: barePort } = JSON.parse(bare.line) as { port: number };
    const bareLoad = JSON.parse((await startPeer(children, ["load", String(barePort), String(LOAD_CONNECTIONS), String(LOAD_MS)], LOAD_MS + 15_000)).line) as typeof load;
    return [
      { name: "router_added_p50_ms", value: round(added), unit: "ms", goal: "< 0.5" },
      { name: "router_req_per_s", value: Math.round(load.responses / (load.ms / 1000)), unit: "req/s", goal: ">= 10000" },
      { name: "bare_proxy_req_per_s", value: Math.round(bareLoad.responses / (bareLoad.ms / 1000)), unit: "req/s", goal: "(context: a minimal Node proxy in the same place)" },
    ];
  } finally {
    for (const child of children) child.kill();
    await router.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function addedLatencyMs(upstreamPort: number, routerPort: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const direct: number[] = [];
    const routed: number[] = [];
    await timeRequests(agent, upstreamPort, WARMUP_REQUESTS, []);
    await timeRequests(agent, routerPort, WARMUP_REQUESTS, []);
    for (let round = 0; round < LATENCY_ROUNDS; round++) {
      await timeRequests(agent, upstreamPort, LATENCY_REQUESTS_PER_ROUND, direct);
      await timeRequests(agent, routerPort, LATENCY_REQUESTS_PER_ROUND, routed);
    }
    return median(routed) - median(direct);
  } finally {
    agent.destroy();
  }
}

async function timeRequests(agent: http.Agent, port: number, count: number, into: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: "/", agent }, (response) => {
          response.resume();
          response.on("end", resolve);
        })
        .on("error", reject);
    });
    into.push(performance.now() - started);
  }
}

/** Starts `node bench-peers.mjs <args>` and resolves with its first line of output. */
function startPeer(children: ChildProcess[], args: string[], timeoutMs = 10_000): Promise<{ line: string }> {
  const child = spawn(process.execPath, [PEERS, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench-peers ${args[0]} said nothing within ${timeoutMs} ms`)), timeoutMs);
    readline.createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      resolve({ line });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench-peers ${args[0]} exited with ${code}`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
