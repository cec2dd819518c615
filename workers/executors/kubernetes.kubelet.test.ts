import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubernetesExecutor } from "./kubernetes";
import { probeDocker, requireDockerOrSkip } from "./testing/docker-engine";
import { startFakeKubeApi, type ExecProtocol, type FakeKubeApi } from "./testing/fake-kube-api";
import { ensureBusyboxImage } from "./testing/images";
import { dockerKubelet } from "./testing/kubelets";
import type { Executor, ExecutorSession, StepCommand } from "./types";

/**
 * The kubernetes executor end to end: the fake API server (recorded responses,
 * real exec protocol) with each Pod carried out by a Docker container, so the
 * wrapper scripts, the quoting and the workspace copies run for real.
 */
const probe = await probeDocker();
requireDockerOrSkip(probe, "kubernetes executor with a Docker-backed kubelet");

describe.skipIf(!probe.ok)("kubernetes executor, Pods run by a Docker-backed kubelet", () => {
  const docker = (probe as { docker: Docker }).docker;
  const folders: string[] = [];
  const servers: Record<string, { api: FakeKubeApi; executor: Executor }> = {};
  let image: string;

  beforeAll(async () => {
    image = await ensureBusyboxImage(docker);
    for (const protocol of ["v4.channel.k8s.io", "v5.channel.k8s.io"] satisfies ExecProtocol[]) {
      const api = await startFakeKubeApi({ kubelet: dockerKubelet(docker), protocol });
      servers[protocol] = { api, executor: createKubernetesExecutor({ kubeConfig: api.kubeConfig, namespace: "ci", workerId: "kubelet-test", startTimeoutMs: 30_000 }) };
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.api.close()));
    await Promise.all(folders.map((f) => rm(f, { recursive: true, force: true })));
  });

  async function prepare(protocol: ExecProtocol = "v5.channel.k8s.io", overrides: { image?: string } = {}) {
    const workspace = await mkdtemp(path.join(os.tmpdir(), "slipway-k8s-kubelet-"));
    folders.push(workspace);
    const session = await servers[protocol].executor.prepare({ jobId: `job-${randomUUID()}`, runId: "run", workerId: "kubelet-test", image, workspace, network: true, ...overrides });
    return { session, workspace };
  }

  async function run(session: ExecutorSession, script: string, extra: Partial<StepCommand> = {}, signal = new AbortController().signal) {
    const chunks: Buffer[] = [];
    const { exitCode } = await session.runStep({ script, shell: "sh", env: {}, ...extra }, { onOutput: (c) => chunks.push(c), signal });
    return { exitCode, output: Buffer.concat(chunks).toString("utf8") };
  }

  for (const protocol of ["v4.channel.k8s.io", "v5.channel.k8s.io"] satisfies ExecProtocol[]) {
    it(`mirrors the workspace both ways and passes env untouched (${protocol})`, async () => {
      const started = performance.now();
      const { session, workspace } = await prepare(protocol);
      const prepareMs = performance.now() - started;
      try {
        await writeFile(path.join(workspace, "from-host.txt"), "checked out\n");
        await writeFile(path.join(workspace, "stale.txt"), "to be deleted by a step\n");
        await mkdir(path.join(workspace, "app"));
        const tricky = `it's "$(echo injected)" \`id\` $HOME\nline two`;
        const stepStarted = performance.now();
        const first = await run(session, 'cat ../from-host.txt && printf "%s|%s" "$TRICKY" "$(pwd)" > out.txt && rm ../stale.txt', {
          env: { TRICKY: tricky },
          workingDirectory: "app",
        });
        const stepMs = performance.now() - stepStarted;
        expect(first).toEqual({ exitCode: 0, output: "checked out\n" });
        expect(await readFile(path.join(workspace, "app/out.txt"), "utf8")).toBe(`${tricky}|/workspace/app`);
        await expect(stat(path.join(workspace, "stale.txt"))).rejects.toThrow(/ENOENT/);

        // A built-in step changes the worker's folder between two run steps: the next step sees it.
        await mkdir(path.join(workspace, "cache"), { recursive: true });
        await writeFile(path.join(workspace, "cache/restored.txt"), "from the cache\n");
        expect((await run(session, "cat cache/restored.txt; ls -a app")).output).toBe("from the cache\n.\n..\nout.txt\n");
        console.info(`[figures] kubernetes (${protocol}, docker-backed fake): prepare ${prepareMs.toFixed(0)} ms, first step incl. copy in/out ${stepMs.toFixed(0)} ms`);
      } finally {
        await session.close();
      }
    });
  }

  it("reports exit codes, stops at the first failing command and carries stdout and stderr", async () => {
    const { session } = await prepare();
    try {
      expect(await run(session, "echo out; echo err >&2; exit 3")).toMatchObject({ exitCode: 3 });
      const both = await run(session, "echo out; echo err >&2");
      expect(both.output).toContain("out\n");
      expect(both.output).toContain("err\n");
      expect(await run(session, "false; echo never")).toEqual({ exitCode: 1, output: "" });
      expect((await run(session, "cd missing-dir-check", { workingDirectory: "nope" })).exitCode).toBe(1);
    } finally {
      await session.close();
    }
  });

  it("stops an aborted step within seconds and the Pod stays usable", async () => {
    const { session } = await prepare();
    try {
      const controller = new AbortController();
      const step = run(session, "echo started; sleep 60 & sleep 61", {}, controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const started = performance.now();
      controller.abort();
      const result = await step;
      const stoppedMs = performance.now() - started;
      expect(stoppedMs).toBeLessThan(5000);
      expect(result).toEqual({ exitCode: 143, output: "started\n" });
      expect((await run(session, "ps -o args | grep -c '[s]leep 6' || true")).output.trim()).toBe("0");
      console.info(`[figures] kubernetes abort (docker-backed fake): stopped ${stoppedMs.toFixed(0)} ms after the signal, copy-out included`);
    } finally {
      await session.close();
    }
  });

  it("turns an image that cannot be pulled into a clear error", async () => {
    await expect(prepare("v5.channel.k8s.io", { image: "slipway-test/not-built:1" })).rejects.toThrow(/cannot start: ImagePullBackOff: Back-off pulling image "slipway-test\/not-built:1"/);
  });
});
