import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { V1Pod, V1Status } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { KEEP_ALIVE } from "./container-common";
import { createKubernetesExecutor, exitCodeFromStatus } from "./kubernetes";
import { labelValue, NO_NETWORK_POLICY } from "./kubernetes-pod";
import { fixture, startFakeKubeApi, type ExecProtocol, type FakeKubeApi } from "./testing/fake-kube-api";
import { scriptedKubelet, type ScriptedReply, type ScriptedStep } from "./testing/kubelets";
import type { ExecutorJob, ExecutorSession, StepCommand } from "./types";

const NAMESPACE = "slipway-jobs";
const workerId = `${os.hostname()}-${process.pid}-k8stest`;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function setup(onStep: (s: ScriptedStep) => ScriptedReply = () => ({ exitCode: 0 }), protocol?: ExecProtocol) {
  const kubelet = scriptedKubelet(onStep);
  const api = await startFakeKubeApi({ kubelet, protocol });
  cleanups.push(() => api.close());
  const executor = createKubernetesExecutor({ kubeConfig: api.kubeConfig, namespace: NAMESPACE, workerId, startTimeoutMs: 2000 });
  return { api, kubelet, executor };
}

async function job(overrides: Partial<ExecutorJob> = {}): Promise<ExecutorJob> {
  const workspace = await mkdtemp(path.join(os.tmpdir(), "slipway-k8s-ws-"));
  cleanups.push(() => rm(workspace, { recursive: true, force: true }));
  return { jobId: `job-${randomUUID()}`, runId: "run-1", workerId, image: "busybox:1.36", workspace, network: true, ...overrides };
}

async function run(session: ExecutorSession, script: string, extra: Partial<StepCommand> = {}) {
  const chunks: Buffer[] = [];
  const { exitCode } = await session.runStep({ script, shell: "sh", env: {}, ...extra }, { onOutput: (c) => chunks.push(c), signal: new AbortController().signal });
  return { exitCode, output: Buffer.concat(chunks).toString("utf8") };
}

const created = (api: FakeKubeApi) => api.requests.filter((r) => r.method === "POST" && r.path.endsWith("/pods")).map((r) => r.body as V1Pod);
const deletes = (api: FakeKubeApi) => api.requests.filter((r) => r.method === "DELETE");

describe("kubernetes executor against the recorded API", () => {
  it("creates one Pod per job with limits, labels, no privilege and an emptyDir workspace, then waits for Running", async () => {
    const { api, executor } = await setup();
    const spec = await job({ cpus: 0.5, memoryMb: 256 });
    const started = performance.now();
    const session = await executor.prepare(spec);
    console.info(`[figures] kubernetes prepare against the fake API (create, watch Pending -> Running): ${(performance.now() - started).toFixed(0)} ms`);
    const [pod] = created(api);
    const container = pod.spec!.containers[0];
    expect(pod.metadata!.namespace).toBe(NAMESPACE);
    expect(pod.metadata!.labels).toMatchObject({ "slipway.job": spec.jobId, "slipway.run": "run-1", "slipway.worker": workerId, "slipway.host": labelValue(os.hostname()), "slipway.worker-pid": String(process.pid) });
    expect(pod.spec).toMatchObject({ restartPolicy: "Never", automountServiceAccountToken: false, enableServiceLinks: false, volumes: [{ name: "workspace", emptyDir: {} }] });
    expect(container).toMatchObject({ name: "job", image: "busybox:1.36", command: KEEP_ALIVE, workingDir: "/workspace", volumeMounts: [{ name: "workspace", mountPath: "/workspace" }] });
    expect(container.resources).toEqual({ requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(container.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: expect.arrayContaining(["NET_RAW"]) } });
    expect(api.pods.get(pod.metadata!.name!)!.status!.qosClass).toBe("Guaranteed");
    const watch = api.requests.find((r) => r.query.get("watch") === "true");
    expect(watch?.query.get("fieldSelector")).toBe(`metadata.name=${pod.metadata!.name}`);
    expect(session.workspaceInside).toBe("/workspace");
    await session.close();
  });

  it("runs steps over exec: output, exit codes from the V1Status, env as quoted values, never on the command line", async () => {
    const { api, kubelet, executor } = await setup((step) =>
      step.script === "exit 3" ? { exitCode: 3, stderr: "failing on purpose\n" } : { exitCode: 0, stdout: "hello\n", stderr: "warning\n" },
    );
    const session = await executor.prepare(await job());
    const secret = `s3cr3t 'quoted' $(whoami)`;
    expect(await run(session, "echo hello", { env: { TOKEN: secret }, workingDirectory: "app" })).toEqual({ exitCode: 0, output: "hello\nwarning\n" });
    expect(await run(session, "exit 3")).toEqual({ exitCode: 3, output: "failing on purpose\n" });
    expect(kubelet.steps[0]).toEqual({ shell: "sh", script: "echo hello", env: `slipway_dir='/workspace/app'\nexport TOKEN='s3cr3t '\\''quoted'\\'' $(whoami)'\n` });
    const commands = api.requests.filter((r) => r.command).map((r) => JSON.stringify(r.command));
    expect(commands.some((c) => c.includes("s3cr3t") || c.includes("echo hello"))).toBe(false);
    expect(api.requests.filter((r) => r.command).every((r) => r.protocol === "v5.channel.k8s.io")).toBe(true);
    await expect(run(session, "true", { env: { "not-a-name": "x" } })).rejects.toThrow(/not valid/);
    await session.close();
  });

  it("speaks the v4 channel protocol too (no stdin close signal)", async () => {
    const { api, executor } = await setup(() => ({ exitCode: 7, stdout: "v4\n" }), "v4.channel.k8s.io");
    const session = await executor.prepare(await job());
    expect(await run(session, "exit 7")).toEqual({ exitCode: 7, output: "v4\n" });
    expect(api.requests.filter((r) => r.command).every((r) => r.protocol === "v4.channel.k8s.io")).toBe(true);
    await session.close();
  });

  it("fails fast and clearly on ImagePullBackOff, and removes the Pod", async () => {
    const { api, executor } = await setup();
    // The message names the reason, so it gave up on it rather than at the start timeout.
    const failure = executor.prepare(await job({ image: "registry.invalid/team/never:1" }));
    await expect(failure).rejects.toThrow(/^Pod slipway-job-[\w-]+ cannot start: ImagePullBackOff: Back-off pulling image "registry.invalid\/team\/never:1"/);
    expect(deletes(api)).toHaveLength(1);
    expect(api.pods.size).toBe(0);
  });

  it("gives up at the deadline naming why the Pod is still pending", async () => {
    const kubelet = scriptedKubelet(() => ({ exitCode: 0 }), "unschedulable");
    const api = await startFakeKubeApi({ kubelet });
    cleanups.push(() => api.close());
    const executor = createKubernetesExecutor({ kubeConfig: api.kubeConfig, namespace: NAMESPACE, workerId, startTimeoutMs: 400 });
    await expect(executor.prepare(await job())).rejects.toThrow(/was not running after 0.4 s: Unschedulable: 0\/3 nodes are available: 3 Insufficient memory/);
    expect(api.pods.size).toBe(0);
  });

  it("close deletes the Pod at once, is safe twice, and tolerates a Pod someone else deleted", async () => {
    const { api, executor } = await setup();
    const session = await executor.prepare(await job());
    await session.close();
    await session.close();
    expect(deletes(api)).toHaveLength(1);
    expect(deletes(api)[0].query.get("gracePeriodSeconds")).toBe("0");
    await expect(run(session, "true")).rejects.toThrow(/already closed/);

    const other = await executor.prepare(await job());
    api.pods.clear();
    await expect(other.close()).resolves.toBeUndefined();
  });

  it("reapOrphans deletes Pods of a dead worker on this host, not live or foreign ones", async () => {
    const { api, executor } = await setup();
    const mine = await executor.prepare(await job());
    const plant = async (worker: string, host: string, pid: number) => {
      const body = { metadata: { name: `orphan-${worker}`, labels: { "slipway.job": "j", "slipway.worker": worker, "slipway.host": host, "slipway.worker-pid": String(pid) } }, spec: { containers: [{ name: "job", image: "busybox:1.36" }] } };
      await fetch(`${api.url}/api/v1/namespaces/${NAMESPACE}/pods`, { method: "POST", headers: { authorization: "Bearer fake-token", "content-type": "application/json" }, body: JSON.stringify(body) });
    };
    await plant("dead", labelValue(os.hostname()), 4_194_305);
    await plant("alive", labelValue(os.hostname()), process.ppid);
    await plant("foreign", "another-host", 4_194_305);
    expect(await executor.reapOrphans()).toBe(1);
    expect([...api.pods.keys()].sort()).toEqual(["orphan-alive", "orphan-foreign", (mine as unknown as { podName: string }).podName].sort());
    await mine.close();
  });

  it("isolates network:false jobs with one NetworkPolicy", async () => {
    const { api, executor } = await setup();
    const a = await executor.prepare(await job({ network: false }));
    const b = await executor.prepare(await job({ network: false }));
    const policies = api.requests.filter((r) => r.path.endsWith("/networkpolicies"));
    expect(policies).toHaveLength(1);
    expect(policies[0].body).toMatchObject({ metadata: { name: NO_NETWORK_POLICY }, spec: { podSelector: { matchLabels: { "slipway.network": "none" } }, policyTypes: ["Ingress", "Egress"] } });
    expect(created(api).every((p) => p.metadata!.labels!["slipway.network"] === "none")).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it("reads exit codes from recorded statuses and reports other failures", () => {
    expect(exitCodeFromStatus(fixture<V1Status>("exec-status-success"))).toBe(0);
    expect(exitCodeFromStatus(fixture<V1Status>("exec-status-exit-code"))).toBe(3);
    expect(() => exitCodeFromStatus(fixture<V1Status>("exec-status-container-not-found"))).toThrow(/container not found \("job"\)/);
  });

  it("keeps label values valid and distinct", () => {
    const long = `${"worker.".repeat(12)}example.internal-12345-abcdef`;
    expect(labelValue(long)).toHaveLength(63);
    expect(labelValue(long)).not.toBe(labelValue(`${long}x`));
    expect(labelValue("-host_name.local-")).toBe("host_name.local");
  });
});
