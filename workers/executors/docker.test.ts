import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentOwner, KEEP_ALIVE, ownerLabels } from "./container-common";
import { createDockerExecutor } from "./docker";
import { probeDocker, requireDockerOrSkip } from "./testing/docker-engine";
import { ensureBusyboxImage } from "./testing/images";
import type { ExecutorJob, ExecutorSession, StepCommand } from "./types";

const probe = await probeDocker();
requireDockerOrSkip(probe, "docker executor");

describe.skipIf(!probe.ok)("docker executor (real engine)", () => {
  const docker = (probe as { docker: Docker }).docker;
  const runId = `test-${randomUUID()}`;
  const workerId = `${os.hostname()}-${process.pid}-test`;
  const executor = createDockerExecutor({ docker, workerId });
  let image: string;
  const folders: string[] = [];

  beforeAll(async () => {
    image = await ensureBusyboxImage(docker);
  });

  afterAll(async () => {
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`slipway.run=${runId}`] } });
    await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
    await Promise.all(folders.map((f) => rm(f, { recursive: true, force: true })));
  });

  async function job(overrides: Partial<ExecutorJob> = {}): Promise<ExecutorJob> {
    const workspace = await mkdtemp(path.join(os.tmpdir(), "slipway-docker-ws-"));
    folders.push(workspace);
    return { jobId: `job-${randomUUID()}`, runId, workerId, image, workspace, network: true, ...overrides };
  }

  async function run(session: ExecutorSession, script: string, extra: Partial<StepCommand> = {}, signal = new AbortController().signal) {
    const chunks: Buffer[] = [];
    const { exitCode } = await session.runStep({ script, shell: "sh", env: {}, ...extra }, { onOutput: (c) => chunks.push(c), signal });
    return { exitCode, output: Buffer.concat(chunks).toString("utf8") };
  }

  async function containersOf(jobId: string) {
    return docker.listContainers({ all: true, filters: { label: [`slipway.job=${jobId}`] } });
  }

  async function containerOf(jobId: string) {
    const [info] = await containersOf(jobId);
    return docker.getContainer(info.Id).inspect();
  }

  it("runs a job's steps in one fresh container per job and reports how long the container took", async () => {
    const started = performance.now();
    const a = await executor.prepare(await job());
    const prepareMs = performance.now() - started;
    const b = await executor.prepare(await job());
    try {
      const first = await run(a, "hostname; echo marker > /tmp/mine");
      const again = await run(a, "hostname; cat /tmp/mine");
      const other = await run(b, "hostname; cat /tmp/mine 2>/dev/null || echo absent");
      expect(again.output).toBe(`${first.output.trim()}\nmarker\n`);
      expect(other.output.split("\n")[0]).not.toBe(first.output.trim());
      expect(other.output).toContain("absent");
      expect(a.workspaceInside).toBe("/workspace");
      console.info(`[figures] docker prepare (create + start a container, image present): ${prepareMs.toFixed(0)} ms`);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("passes env as values, never as shell text, and runs in the working directory", async () => {
    const session = await executor.prepare(await job());
    try {
      const tricky = `it's "$(echo injected)" \`id\` $HOME\nline two; rm -rf /`;
      await run(session, "mkdir -p sub/dir");
      const result = await run(session, 'printf "%s|" "$TRICKY" "$(pwd)"; printf "%s" "${SLIPWAY_STEP_SCRIPT-unset}"', {
        env: { TRICKY: tricky },
        workingDirectory: "sub/dir",
      });
      expect(result).toEqual({ exitCode: 0, output: `${tricky}|/workspace/sub/dir|unset` });
      await expect(run(session, "true", { workingDirectory: "../etc" })).rejects.toThrow(/leaves the workspace/);
    } finally {
      await session.close();
    }
  });

  it("shares the workspace with the host in both directions", async () => {
    const spec = await job();
    await writeFile(path.join(spec.workspace, "from-host.txt"), "hello from the host\n");
    const session = await executor.prepare(spec);
    try {
      const result = await run(session, "cat from-host.txt; echo built > out.txt");
      expect(result.output).toBe("hello from the host\n");
      expect(await readFile(path.join(spec.workspace, "out.txt"), "utf8")).toBe("built\n");
    } finally {
      await session.close();
    }
  });

  it("propagates exit codes, stops at the first failing command (-e) and streams stdout and stderr", async () => {
    const session = await executor.prepare(await job());
    try {
      expect(await run(session, "exit 3")).toEqual({ exitCode: 3, output: "" });
      expect(await run(session, "false; echo never")).toEqual({ exitCode: 1, output: "" });
      const both = await run(session, "echo to-stdout; echo to-stderr >&2");
      expect(both.exitCode).toBe(0);
      expect(both.output).toContain("to-stdout\n");
      expect(both.output).toContain("to-stderr\n");
      const noBash = await run(session, "echo hi", { shell: "bash" });
      expect(noBash.exitCode).toBe(127);
      expect(noBash.output).toMatch(/bash.*not found/);
    } finally {
      await session.close();
    }
  });

  it("gives a network:false job nothing but loopback", async () => {
    const offline = await executor.prepare(await job({ network: false }));
    const online = await executor.prepare(await job({ network: true }));
    try {
      const interfaces = (out: string) => [...out.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]).sort();
      expect(interfaces((await run(offline, "cat /proc/net/dev")).output)).toEqual(["lo"]);
      expect(interfaces((await run(online, "cat /proc/net/dev")).output)).toContain("eth0");
    } finally {
      await Promise.all([offline.close(), online.close()]);
    }
  });

  it("creates the container with limits, hardening, labels and the workspace mount", async () => {
    const spec = await job({ cpus: 0.5, memoryMb: 64 });
    const session = await executor.prepare(spec);
    try {
      const info = await containerOf(spec.jobId);
      expect(info.HostConfig).toMatchObject({
        Memory: 64 * 1024 * 1024,
        MemorySwap: 64 * 1024 * 1024,
        NanoCpus: 500_000_000,
        Privileged: false,
        PidsLimit: 1024,
        NetworkMode: "bridge",
        AutoRemove: false,
        SecurityOpt: ["no-new-privileges"],
      });
      expect(info.HostConfig.CapDrop).toContain("NET_RAW");
      expect(info.Config.Labels).toMatchObject({ "slipway.job": spec.jobId, "slipway.run": runId, "slipway.worker": workerId });
      expect(info.Config.Cmd).toEqual(KEEP_ALIVE);
      expect(info.Config.WorkingDir).toBe("/workspace");
      expect(info.Mounts).toEqual([expect.objectContaining({ Type: "bind", Source: spec.workspace, Destination: "/workspace", RW: true })]);
      const status = await run(session, "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status");
      expect(status.output).toMatch(/NoNewPrivs:\s+1/);
    } finally {
      await session.close();
    }
  });

  it("stops an aborted step within seconds and keeps the container usable", async () => {
    const session = await executor.prepare(await job());
    try {
      const controller = new AbortController();
      const started = performance.now();
      const step = run(session, "echo started; sleep 60 & sleep 61; echo never", {}, controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 500));
      controller.abort();
      const result = await step;
      const stoppedMs = performance.now() - started - 500;
      expect(stoppedMs).toBeLessThan(5000);
      expect(result.exitCode).toBe(143);
      expect(result.output).toBe("started\n");
      // The whole process group went, including the background sleep.
      expect((await run(session, "ps -o args | grep -c '[s]leep 6' || true")).output.trim()).toBe("0");
      console.info(`[figures] docker abort: step stopped ${stoppedMs.toFixed(0)} ms after the signal`);
      expect(await run(session, "true", {}, AbortSignal.abort())).toEqual({ exitCode: 143, output: "" });
    } finally {
      await session.close();
    }
  });

  it("escalates to SIGKILL when a step ignores SIGTERM", async () => {
    const session = await executor.prepare(await job());
    try {
      const controller = new AbortController();
      const step = run(session, "trap '' TERM; echo ready; while :; do sleep 1; done", {}, controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = performance.now();
      controller.abort();
      const result = await step;
      expect(performance.now() - started).toBeLessThan(6000);
      expect(result.exitCode).toBe(137);
    } finally {
      await session.close();
    }
  });

  it("close removes the container, is safe twice, and a closed session refuses steps", async () => {
    const spec = await job();
    const session = await executor.prepare(spec);
    const started = performance.now();
    await session.close();
    console.info(`[figures] docker close (stop + remove): ${(performance.now() - started).toFixed(0)} ms`);
    await session.close();
    expect(await containersOf(spec.jobId)).toEqual([]);
    await expect(run(session, "true")).rejects.toThrow(/already closed/);
  });

  it("explains a missing image and a job without one", async () => {
    const missing = "slipway-test/never-built:404";
    await expect(executor.prepare(await job({ image: missing }))).rejects.toThrow(
      new RegExp(`^Image "${missing}" is not on this machine and could not be pulled: .+\\. Build or load it, or check the registry\\.$`),
    );
    await expect(executor.prepare(await job({ image: undefined }))).rejects.toThrow(/has no image/);
  });

  it("reapOrphans removes a crashed worker's container but not live ones", async () => {
    const self = currentOwner(workerId);
    const leftover = async (labels: Record<string, string>) => {
      const container = await docker.createContainer({
        Image: image,
        Cmd: KEEP_ALIVE,
        Labels: { "slipway.job": `job-${randomUUID()}`, "slipway.run": runId, ...labels },
      });
      await container.start();
      return container.id;
    };
    // A crashed worker on this host: its process is gone (PIDs never reach 2^22 + 1 on Linux).
    const crashed = await leftover(ownerLabels({ workerId: "crashed-worker", host: self.host, pid: 4_194_305 }));
    // A sibling worker on this host that is alive (our parent process stands in for it).
    const sibling = await leftover(ownerLabels({ workerId: "sibling-worker", host: self.host, pid: process.ppid }));
    const elsewhere = await leftover(ownerLabels({ workerId: "other-host-worker", host: "some-other-host", pid: 1 }));
    const mine = await executor.prepare(await job());
    try {
      expect(await executor.reapOrphans()).toBeGreaterThanOrEqual(1);
      const remaining = (await docker.listContainers({ all: true, filters: { label: [`slipway.run=${runId}`] } })).map((c) => c.Id);
      expect(remaining).not.toContain(crashed);
      expect(remaining).toEqual(expect.arrayContaining([sibling, elsewhere]));
      expect((await run(mine, "echo still-here")).output).toBe("still-here\n");
    } finally {
      await mine.close();
      await Promise.all([sibling, elsewhere].map((id) => docker.getContainer(id).remove({ force: true })));
    }
  });
});
