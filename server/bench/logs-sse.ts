import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import readline from "node:readline";
import { freePort } from "@/server/config/ports";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ROUTE_SOURCE = "app/api/jobs/[jobId]/log/stream/route.ts";

export type WebProcess = { port: number; kind: string; stop: () => Promise<void> };

/**
 * Starts the web side of the log stream: the real web process (server/cli/web.ts,
 * Next's production server) when .next holds a build of the stream route at
 * least as new as its source, else the same route handler behind a minimal
 * Node HTTP adapter (logs-route-server.ts). `kind` says which, for the report.
 */
export async function startWeb(env: { url: string; dataDir: string; secretKey: string }): Promise<WebProcess> {
  const port = await freePort();
  const real = builtRouteIsCurrent();
  const entry = real ? "server/cli/web.ts" : "server/bench/logs-route-server.ts";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      DATABASE_URL: env.url,
      SLIPWAY_DATA_DIR: env.dataDir,
      SLIPWAY_SECRET_KEY: env.secretKey,
    },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start within 60 s`)), 60_000);
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("web ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}`));
    });
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    });
  return { port, kind: real ? "web process (Next production build)" : "route handler behind a Node adapter (.next predates the route)", stop };
}

function builtRouteIsCurrent(): boolean {
  const manifest = path.join(ROOT, ".next/app-path-routes-manifest.json");
  if (!existsSync(manifest) || !existsSync(path.join(ROOT, ".next/BUILD_ID"))) return false;
  const routes = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, string>;
  if (!Object.keys(routes).includes("/api/jobs/[jobId]/log/stream/route")) return false;
  return statSync(path.join(ROOT, ".next/BUILD_ID")).mtimeMs >= statSync(path.join(ROOT, ROUTE_SOURCE)).mtimeMs;
}

export type SseLine = { n: number; at: number; text: string };

/**
 * An EventSource-like client of /api/jobs/<id>/log/stream: calls `onLines`
 * with each `lines` event and the wall-clock time (ms, sub-millisecond) the
 * event's last byte arrived; resolves with the `end` event's status.
 */
export function subscribeLog(
  port: number,
  token: string,
  jobId: string,
  onLines: (lines: SseLine[], arrivedAt: number) => void,
): { connected: Promise<void>; ended: Promise<string>; close: () => void } {
  let close = () => {};
  let connected!: () => void;
  const connectedP = new Promise<void>((r) => (connected = r));
  const ended = new Promise<string>((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: `/api/jobs/${jobId}/log/stream`, headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`the log stream answered ${res.statusCode}`));
      connected();
      res.setEncoding("utf8");
      let buffer = "";
      res.on("data", (text: string) => {
        const arrivedAt = performance.timeOrigin + performance.now();
        buffer += text;
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          if (event === "lines") onLines((JSON.parse(data) as { lines: SseLine[] }).lines, arrivedAt);
          else if (event === "end") resolve((JSON.parse(data) as { status: string }).status);
          else if (event === "error") reject(new Error(`the log stream failed: ${data}`));
        }
      });
      res.once("end", () => reject(new Error("the log stream ended without an end event")));
    });
    req.once("error", reject);
    close = () => req.destroy();
  });
  return { connected: connectedP, ended, close };
}
