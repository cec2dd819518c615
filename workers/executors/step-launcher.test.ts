import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canRaisePriority, ownPriority, PRIORITY, setProcessPriority } from "@/server/config/cpu-priority";
import { createLocalExecutor } from "./local";
import { launcherSocketPath, StepLauncher } from "./step-launcher";
import type { Executor } from "./types";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "slipway-launcher-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs one step on a local executor and returns its output and exit code. */
async function runOn(executor: Executor, script: string, options: { env?: Record<string, string>; signal?: AbortSignal } = {}) {
  const session = await executor.prepare({ jobId: "job", runId: "run", workerId: "w", workspace: dir, network: true });
  const chunks: Buffer[] = [];
  const { exitCode } = await session.runStep(
    { script, shell: "sh", env: options.env ?? {} },
    { onOutput: (chunk) => chunks.push(chunk), signal: options.signal ?? new AbortController().signal },
  );
  return { exitCode, output: Buffer.concat(chunks).toString() };
}

describe.each([
  ["started by the resident launcher", true],
  ["spawned by the worker itself", false],
])("a local step %s", (_name, launcher) => {
  const executor = () => createLocalExecutor({ stateDir: dir, launcher });

  // The launcher's first step forks a shell; later ones mostly get a shell started ahead: each case runs twice.
  it("gets exactly its own environment and the workspace, and reports its output and exit code", async () => {
    const local = executor();
    process.env.SLIPWAY_TEST_WORKER_SECRET = "not for steps";
    for (let i = 0; i < 3; i++) {
      const { exitCode, output } = await runOn(local, 'echo "A=$A"; echo "B=$B"; pwd; echo "secret=${SLIPWAY_TEST_WORKER_SECRET:-none}" >&2; exit 3', {
        env: { A: "two words = and 'quotes'", B: "line one\nline two" },
      });
      expect(exitCode).toBe(3);
      expect(output).toBe(`A=two words = and 'quotes'\nB=line one\nline two\n${dir}\nsecret=none\n`);
    }
    delete process.env.SLIPWAY_TEST_WORKER_SECRET;
  });

  it("says which line of the script failed, as sh -c does", async () => {
    const local = executor();
    for (let i = 0; i < 3; i++) {
      expect(await runOn(local, "true\nno_such_command_here\necho after")).toEqual({ exitCode: 127, output: "sh: 2: no_such_command_here: not found\n" });
    }
  });

  it("delivers a megabyte of output whole and in order", async () => {
    const { exitCode, output } = await runOn(executor(), "i=0; while [ $i -lt 20000 ]; do echo line-$i-................................; i=$((i+1)); done");
    expect(exitCode).toBe(0);
    const lines = output.trimEnd().split("\n");
    expect(lines).toHaveLength(20000);
    expect(lines[19999]).toMatch(/^line-19999-/);
  });

  it("stops the step and what it started when aborted", async () => {
    const controller = new AbortController();
    const running = runOn(executor(), "sleep 30 & sleep 30; echo never", { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const { exitCode, output } = await running;
    expect(exitCode).toBe(143);
    expect(output).not.toContain("never");
  });

  it("gives way to traffic as the worker does, also as a session of its own", async () => {
    // Only root may raise the test's own priority back, and only kernels with autogroups give a session a CPU group.
    if (!canRaisePriority() || !existsSync("/proc/self/autogroup")) return;
    const own = ownPriority();
    await setProcessPriority(process.pid, PRIORITY.worker);
    try {
      const local = executor();
      // Spawned by the worker itself, the step's group is set just after it starts: the step looks for up to 5 s.
      const script = 'for i in $(seq 50); do grep -q " nice 19$" /proc/self/autogroup && break; sleep 0.1; done; cat /proc/self/autogroup';
      for (let i = 0; i < 2; i++) expect((await runOn(local, script)).output).toMatch(/ nice 19\n$/);
    } finally {
      await setProcessPriority(process.pid, own);
    }
  });
});

describe("the step launcher", () => {
  it("keeps starting steps after earlier ones ended, one after another and several at once", async () => {
    const executor = createLocalExecutor({ stateDir: dir });
    for (let i = 0; i < 10; i++) expect(await runOn(executor, `echo ${i}`)).toEqual({ exitCode: 0, output: `${i}\n` });
    const together = await Promise.all(Array.from({ length: 8 }, (_, i) => runOn(executor, `sleep 0.0${i}; echo ${i}; exit ${i}`)));
    expect(together).toEqual(Array.from({ length: 8 }, (_, i) => ({ exitCode: i, output: `${i}\n` })));
  });


  it("fails a step whose working directory is gone with a sentence that says so", async () => {
    const launcher = await StepLauncher.start(launcherSocketPath(dir));
    expect(launcher).not.toBeNull();
    const missing = path.join(dir, "missing");
    for (let i = 0; i < 3; i++) {
      const chunks: Buffer[] = [];
      const step = launcher!.launch({ shell: "sh", script: "echo hi", cwd: missing, env: { PATH: process.env.PATH! } }, (c) => chunks.push(c));
      expect(await step.exited).toEqual({ exitCode: 1 });
      expect(Buffer.concat(chunks).toString()).toContain(`Slipway could not enter ${missing}`);
    }
    launcher!.close();
  });

  it("refuses a script with a NUL character instead of cutting it short", async () => {
    const launcher = await StepLauncher.start(launcherSocketPath(dir));
    expect(() => launcher!.launch({ shell: "sh", script: "echo a\0rm -rf /", cwd: dir, env: {} }, () => undefined)).toThrow(/NUL/);
    launcher!.close();
  });
});

describe("a local executor whose launcher dies", () => {
  it("reports the running step as lost and starts another launcher for the next step", async () => {
    const executor = createLocalExecutor({ stateDir: dir });
    // The step's parent is the launcher's helper.
    await expect(runOn(executor, "kill -KILL $PPID; sleep 1")).rejects.toThrow(/process that starts steps stopped/);
    expect(await runOn(executor, "echo again")).toEqual({ exitCode: 0, output: "again\n" });
  });
});
