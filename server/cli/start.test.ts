import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/server/config/ports";

/**
 * `npm start` as a person runs it: the real supervisor, embedded PostgreSQL,
 * web, worker and router, in a data folder of its own.
 */
type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function startSlipway(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ["server/cli/launch.mjs", "start"], {
    env: { ...process.env, DATABASE_URL: "", NEXT_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout!.on("data", (d) => (text += d));
  child.stderr!.on("data", (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function waitFor(started: Started, pattern: RegExp, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(started.output())) return;
    if (started.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected ${pattern} in the output:\n${started.output()}`);
}

/** Every descendant of a process, read from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** Running, as opposed to gone or a zombie waiting to be reaped. */
const alive = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};

describe("npm start", () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-start-"));
    env = {
      SLIPWAY_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      SLIPWAY_ROUTER_PORT: String(await freePort()),
      SLIPWAY_DB_PORT: String(await freePort()),
      SLIPWAY_ADMIN_PASSWORD: "",
    };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("starts healthy, refuses a second start on the same folder, and stops every process on SIGINT", { timeout: 300_000 }, async () => {
    const first = startSlipway(env);
    await waitFor(first, /Slipway is running at/);
    expect(first.output()).toMatch(/Sign in as admin@slipway\.local with the password \S{12,}/);
    const health = await fetch(`http://127.0.0.1:${env.PORT}/api/health`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { checks: Record<string, { ok: boolean }> };
    expect(Object.fromEntries(Object.entries(report.checks).map(([k, v]) => [k, v.ok]))).toEqual({
      database: true,
      migrations: true,
      worker: true,
      router: true,
    });

    const second = startSlipway(env);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/Slipway is already running on .* \(process \d+\); stop it first/);
    expect((await fetch(`http://127.0.0.1:${env.PORT}/api/health`)).status).toBe(200);

    const tree = descendants(first.child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(4);
    first.child.kill("SIGINT");
    expect(await first.exited).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(tree.filter(alive)).toEqual([]);
  });

  it("keeps its data on the next start and does not print a new password", { timeout: 300_000 }, async () => {
    const again = startSlipway(env);
    await waitFor(again, /Slipway is running at/);
    expect(again.output()).toContain("with the password printed at the first start");
    expect(again.output()).toContain("/projects/demo");
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("names the port and its variable when the port is taken", { timeout: 60_000 }, async () => {
    const blocker = net.createServer().listen(Number(env.PORT), "0.0.0.0");
    await new Promise((r) => blocker.once("listening", r));
    try {
      const started = startSlipway(env);
      expect(await started.exited).toBe(1);
      expect(started.output()).toContain(`Port ${env.PORT} is already in use; set PORT to another port.`);
    } finally {
      blocker.close();
    }
  });

  it("stops with one line naming a setting with a bad value", { timeout: 60_000 }, async () => {
    const started = startSlipway({ ...env, SLIPWAY_URL: "not a url" });
    expect(await started.exited).toBe(1);
    expect(started.output().trim().split("\n").at(-1)).toMatch(/^Setting SLIPWAY_URL expects an absolute http\(s\) URL/);
  });
});
