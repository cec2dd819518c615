import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { deploymentSpecSchema } from "@/server/deploy";
import { freePort } from "@/server/config/ports";
import { packToBlob } from "@/server/services/artifacts";
import { createProjectAs, createUser } from "@/server/testing/fixtures";
import { threadPolicies, threadPriorities } from "@/server/testing/thread-priorities";
import { findExecutable } from "@/server/config/cpu-priority";
import { APP_SERVER } from "@/workers/deployer/testing/harness";
import { createLocalTarget } from "./local";
import { localTargetsDir, type InstanceRecord } from "./local-processes";
import type { DeployTarget, TargetContext } from "./types";

/** The local target: child processes of a command in the release's unpacked artifact, recorded on disk. */
let t: TestDatabase;
let dataDir: string;
let ctx: TargetContext;
let image: string;
const config = { kind: "local" as const, command: [process.execPath, APP_SERVER], portEnv: "PORT", listenPort: 0 };
const check = deploymentSpecSchema.parse({ strategy: "rolling", healthCheck: { path: "/healthz" } }).healthCheck;

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-local-target-"));
  const project = await createProjectAs(t.db, await createUser(t.db));
  const [env] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id) });
  ctx = { db: t.db, projectId: project.id, environmentId: env.id, deploymentId: randomBytes(4).toString("hex"), dataDir, routerUrl: "http://127.0.0.1:9" };
  config.listenPort = await freePort();
  const app = await mkdtemp(path.join(os.tmpdir(), "slipway-app-"));
  await writeFile(path.join(app, "app.json"), JSON.stringify({ version: "3.1.0", healthy: true }));
  image = `artifact:${(await packToBlob(dataDir, app, ["."], { wording: {}, maxBytes: 1e6, tooLarge: () => new Error("big") }))!.digest}`;
  await rm(app, { recursive: true, force: true });
});

afterAll(async () => {
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The record the target keeps on disk for an instance. */
async function readRecord(id: string): Promise<InstanceRecord> {
  return JSON.parse(await readFile(path.join(localTargetsDir(dataDir), ctx.environmentId, `${id}.json`), "utf8")) as InstanceRecord;
}

async function probeUntilReady(target: DeployTarget, id: string) {
  for (let i = 0; i < 100; i++) {
    const { status } = await target.probe(id, check);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${id} never answered its health check`);
}

describe("the local target", () => {
  it("hands an instance its port, variables and version, and none of the worker's own environment", async () => {
    vi.stubEnv("SLIPWAY_SECRET_KEY", "the worker's key");
    const printEnv = "require('http').createServer((q, s) => s.end(JSON.stringify(process.env))).listen(process.env.APP_PORT, '127.0.0.1')";
    const target = createLocalTarget(ctx, { ...config, command: [process.execPath, "-e", printEnv], portEnv: "APP_PORT" });
    const id = await target.startInstance({ version: "3.0.9", image, releaseId: "r9" }, { GREETING: "hi" });
    try {
      await probeUntilReady(target, id);
      const env = (await (await fetch(target.previewUrl(id)!)).json()) as Record<string, string>;
      expect(env).toMatchObject({ GREETING: "hi", SLIPWAY_VERSION: "3.0.9", SLIPWAY_RELEASE_ID: "r9", APP_PORT: expect.stringMatching(/^\d+$/) });
      expect(env.SLIPWAY_SECRET_KEY).toBeUndefined();
    } finally {
      await target.stopInstance(id, { drain: false });
      vi.unstubAllEnvs();
    }
  });

  // Raising a priority back needs root: elsewhere instances boot at the normal one.
  it.skipIf(process.getuid?.() !== 0)("boots an instance at the lowest CPU priority and gives it the normal one when it joins traffic", async () => {
    const target = createLocalTarget(ctx, config);
    await target.prepare();
    const id = await target.startInstance({ version: "3.0.8", image, releaseId: "r8" }, {});
    const pid = (await readRecord(id)).pid;
    try {
      // Looked at once the app answers: just after the start, chrt may not have set the policy yet.
      await probeUntilReady(target, id);
      expect(threadPriorities(pid)).toEqual([19]);
      if (findExecutable("chrt")) expect(threadPolicies(pid)).toEqual(["idle"]);
      await target.admit(id);
      // Node's own threads too, which it started while it booted.
      expect(threadPriorities(pid)).toEqual([0]);
      if (findExecutable("chrt")) expect(threadPolicies(pid)).toEqual(["normal"]);
    } finally {
      await target.stopInstance(id, { drain: false });
    }
  });

  it("stops an instance at the lowest CPU priority, so its shutdown never competes with those serving", async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "slipway-stop-priority-"));
    const report = path.join(folder, "nice-at-sigterm");
    const target = createLocalTarget(ctx, { ...config, command: ["sh", "-c", `trap 'nice > ${report}; chrt -p $$ >> ${report}; exit 0' TERM; while :; do sleep 0.05; done`] });
    await target.prepare();
    const id = await target.startInstance({ version: "3.0.7", image, releaseId: "r7" }, {});
    try {
      // Serving, at the normal priority.
      await target.admit(id);
      expect(threadPriorities((await readRecord(id)).pid)).toEqual([0]);
      await target.stopInstance(id, { drain: false });
      const [nice, policy] = (await readFile(report, "utf8")).split("\n");
      expect(nice).toBe("19");
      if (findExecutable("chrt")) expect(policy).toContain("SCHED_IDLE");
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("runs the command in the release's unpacked artifact, and finds its instances again after a restart", async () => {
    const target = createLocalTarget(ctx, config);
    await target.prepare();
    const id = await target.startInstance({ version: "3.1.0", image, releaseId: "r" }, { GREETING: "hi" });
    await probeUntilReady(target, id);
    expect(await (await fetch(target.previewUrl(id)!)).text()).toBe("version 3.1.0\n");
    expect(await target.listInstances()).toEqual([{ id, version: "3.1.0", status: "running" }]);

    // A worker that restarts finds the instance from its record and can stop it.
    const afterRestart = createLocalTarget(ctx, config);
    expect(await afterRestart.listInstances()).toEqual([{ id, version: "3.1.0", status: "running" }]);
    await afterRestart.stopInstance(id, { drain: true });
    expect(await afterRestart.listInstances()).toEqual([]);
    // The first worker, which read the record before, no longer lists it either.
    expect(await target.listInstances()).toEqual([]);
    await afterRestart.stopInstance(id, { drain: true });
  });

  it("reports an instance whose process died as exited, and tears everything down", async () => {
    const target = createLocalTarget(ctx, { ...config, command: [process.execPath, "-e", "setTimeout(() => process.exit(3), 100)"] });
    const id = await target.startInstance({ version: "3.1.1", image, releaseId: "r" }, {});
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await target.listInstances()).toEqual([{ id, version: "3.1.1", status: "exited" }]);
    expect(await target.probe(id, check)).toMatchObject({ status: null, refused: true });
    await target.teardown();
    expect(await target.listInstances()).toEqual([]);
  });

  it("boots instances one after another: each starts once the one before listens", async () => {
    const slowApp = await mkdtemp(path.join(os.tmpdir(), "slipway-app-"));
    await writeFile(path.join(slowApp, "app.json"), JSON.stringify({ version: "3.2.0", healthy: true, startDelayMs: 400 }));
    const slowImage = `artifact:${(await packToBlob(dataDir, slowApp, ["."], { wording: {}, maxBytes: 1e6, tooLarge: () => new Error("big") }))!.digest}`;
    await rm(slowApp, { recursive: true, force: true });
    const target = createLocalTarget(ctx, config);
    await target.prepare();
    const ids = await Promise.all([1, 2, 3].map(() => target.startInstance({ version: "3.2.0", image: slowImage, releaseId: "r" }, {})));
    try {
      const started = await Promise.all(ids.map(async (id) => Date.parse((await readRecord(id)).startedAt)));
      // Each app listens 400 ms after it starts, so the next cannot start sooner.
      expect(started[1] - started[0]).toBeGreaterThanOrEqual(400);
      expect(started[2] - started[1]).toBeGreaterThanOrEqual(400);
    } finally {
      await Promise.all(ids.map((id) => target.stopInstance(id, { drain: false })));
    }
  });

  it("stops instances one after another: each gets its SIGTERM once the one before has exited", async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "slipway-stop-order-"));
    // Each takes 300 ms to exit after its SIGTERM and notes when it got it and when it left.
    const app = `trap 'date +%s%N > ${folder}/$$.term; sleep 0.3; date +%s%N > ${folder}/$$.exit; exit 0' TERM; while :; do sleep 0.05; done`;
    const target = createLocalTarget(ctx, { ...config, command: ["sh", "-c", app] });
    await target.prepare();
    const ids = await Promise.all([1, 2, 3].map(() => target.startInstance({ version: "3.2.1", image, releaseId: "r" }, {})));
    try {
      const pids = await Promise.all(ids.map(async (id) => (await readRecord(id)).pid));
      await Promise.all(ids.map((id) => target.stopInstance(id, { drain: false })));
      const at = async (pid: number, what: string) => Number(await readFile(path.join(folder, `${pid}.${what}`), "utf8")) / 1e6;
      const times = await Promise.all(pids.map(async (pid) => ({ term: await at(pid, "term"), exit: await at(pid, "exit") })));
      times.sort((a, b) => a.term - b.term);
      expect(times[1].term).toBeGreaterThanOrEqual(times[0].exit);
      expect(times[2].term).toBeGreaterThanOrEqual(times[1].exit);
      expect(await target.listInstances()).toEqual([]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("says which command could not start", async () => {
    const target = createLocalTarget(ctx, { ...config, command: ["/nonexistent/server"] });
    await expect(target.startInstance({ version: "3.1.2", image, releaseId: "r" }, {})).rejects.toThrow("Could not start /nonexistent/server: /nonexistent/server is not an executable file");
  });
});
