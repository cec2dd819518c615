import { PassThrough, Writable, type Readable } from "node:stream";
import { CoreV1Api, Exec, type KubeConfig, type V1Status } from "@kubernetes/client-node";
import { ABORTED_EXIT_CODE, currentOwner, insideWorkspace, isOrphan, KILL_GRACE_MS, settlesWithin, STEP_PID_FILE, type Owner } from "./container-common";
import { rootfsTar } from "./docker-images";
import { apiMessage, CONTAINER, deletePod, ensureNoNetworkPolicy, labelValue, podFor, waitForRunning } from "./kubernetes-pod";
import { copyWorkspaceIn, copyWorkspaceOut, workspaceFingerprint } from "./kubernetes-workspace";
import type { Executor, ExecutorSession, StepCommand, StepIo } from "./types";

/** Where the job's workspace is mounted in its pod. */
const POD_WORKSPACE = "/workspace";

/**
 * One Pod per job. The Pod's workspace is an emptyDir: the worker's folder is
 * copied in (tar over exec) before a step whenever it changed on the worker's
 * side, and copied back after every step, so built-in steps (checkout, cache,
 * artifacts), which work on the worker's disk, see what the steps made.
 */

/**
 * Runs as `sh -c K8S_STEP_WRAPPER <shell> <bytes>`. Exec has no environment or
 * working-directory parameter, and a command line would put secrets into the API
 * server's audit log, so the variables (quoted), the directory and the script
 * arrive as a small tar on stdin; `head -c` reads exactly that many bytes, so no
 * end-of-stdin signal is needed (the v4 protocol has none).
 */
export const K8S_STEP_WRAPPER = [
  `d=/tmp/.slipway-step; rm -rf "$d" && mkdir -p "$d" && head -c "$1" | tar -x -f - -C "$d" || { echo "slipway: could not receive the step: the image needs sh, head and tar" >&2; exit 125; }`,
  `. "$d/env" && s=$(cat "$d/script") && rm -rf "$d" && cd "$slipway_dir" || exit 1`,
  `{ echo $$ > ${STEP_PID_FILE}; } 2>/dev/null`,
  `exec "$0" -e -c "$s" </dev/null`,
].join("\n");

export type KubernetesExecutorOptions = {
  kubeConfig: KubeConfig;
  namespace: string;
  workerId: string;
  /** How long a Pod may take to be scheduled, pull its image and start (default 5 minutes). */
  startTimeoutMs?: number;
  /** Sets runAsNonRoot on the job container: Pods whose image runs as root are then refused by the kubelet. */
  runAsNonRoot?: boolean;
};

export function createKubernetesExecutor(options: KubernetesExecutorOptions): Executor {
  const { kubeConfig, namespace } = options;
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const raw = currentOwner(options.workerId);
  const owner: Owner = { workerId: labelValue(raw.workerId), host: labelValue(raw.host), pid: raw.pid };
  const live = new Set<string>();
  let noNetworkPolicy: Promise<void> | undefined;
  return {
    name: "kubernetes",
    isolation: "pod",
    workspaceInside: () => POD_WORKSPACE,
    async prepare(job) {
      if (!job.image) throw new Error(`Job ${job.jobId} has no image: the kubernetes executor needs one for its Pod.`);
      if (!job.network) {
        noNetworkPolicy ??= ensureNoNetworkPolicy(kubeConfig, namespace).catch((err) => {
          noNetworkPolicy = undefined;
          throw err;
        });
        await noNetworkPolicy;
      }
      const pod = podFor(job, namespace, owner, raw, options.runAsNonRoot);
      const name = pod.metadata!.name!;
      await api.createNamespacedPod({ namespace, body: pod }).catch((err: unknown) => {
        throw new Error(`Could not create the job's Pod in namespace ${namespace}: ${apiMessage(err)}`, { cause: err });
      });
      live.add(name);
      const session = new KubernetesSession(kubeConfig, api, namespace, name, job.workspace, () => live.delete(name));
      try {
        await waitForRunning(kubeConfig, api, namespace, name, options.startTimeoutMs ?? 300_000);
      } catch (err) {
        // No session reaches the engine, so the Pod is removed here.
        await session.close().catch(() => undefined);
        throw err;
      }
      return session;
    },
    async reapOrphans() {
      const list = await api.listNamespacedPod({ namespace, labelSelector: `slipway.job,slipway.host=${owner.host}` });
      let removed = 0;
      for (const pod of list.items) {
        const name = pod.metadata?.name;
        if (!name || live.has(name) || !isOrphan(pod.metadata?.labels ?? {}, owner)) continue;
        if (await deletePod(api, namespace, name)) removed++;
      }
      return removed;
    },
  };
}

class KubernetesSession implements ExecutorSession {
  readonly workspaceInside = POD_WORKSPACE;
  private readonly exec: Exec;
  private closing: Promise<void> | undefined;
  /** Fingerprint of the worker's folder when it last matched the Pod's; undefined before the first copy. */
  private synced: string | undefined;

  constructor(
    kc: KubeConfig,
    private readonly api: CoreV1Api,
    private readonly namespace: string,
    readonly podName: string,
    private readonly workspace: string,
    private readonly onClosed: () => void,
  ) {
    this.exec = new Exec(kc);
  }

  async runStep(command: StepCommand, io: StepIo): Promise<{ exitCode: number }> {
    if (this.closing) throw new Error(`This job's Pod ${this.podName} is already closed.`);
    const payload = stepPayload(command);
    if (io.signal.aborted) return { exitCode: ABORTED_EXIT_CODE };
    const before = await workspaceFingerprint(this.workspace);
    if (before !== this.synced) {
      await copyWorkspaceIn(this.workspace, (cmd, io) => this.run(cmd, io));
      this.synced = before;
    }
    const output = new Writable({
      write(chunk: Buffer, _encoding, done) {
        io.onOutput(chunk);
        done();
      },
    });
    let aborted = false;
    const step = this.run(["sh", "-c", K8S_STEP_WRAPPER, command.shell, String(payload.length)], {
      stdout: output,
      stderr: output,
      stdin: payload,
    });
    const onAbort = () => {
      aborted = true;
      void this.stopStep(step);
    };
    io.signal.addEventListener("abort", onAbort, { once: true });
    if (io.signal.aborted) onAbort();
    let exitCode: number;
    try {
      exitCode = await step;
    } catch (err) {
      // After an abort the Pod may be gone mid-command; the step was stopped, which is what was asked.
      if (!aborted) throw err;
      exitCode = ABORTED_EXIT_CODE;
    } finally {
      io.signal.removeEventListener("abort", onAbort);
    }
    if (!this.closing) {
      await copyWorkspaceOut(this.workspace, (cmd, io) => this.run(cmd, io));
      this.synced = await workspaceFingerprint(this.workspace);
    }
    if (aborted) return { exitCode: exitCode > 0 ? exitCode : ABORTED_EXIT_CODE };
    return { exitCode };
  }

  close(): Promise<void> {
    this.closing ??= deletePod(this.api, this.namespace, this.podName)
      .then(() => undefined)
      .finally(this.onClosed);
    return this.closing;
  }

  /** Runs `command` in the job container; resolves with its exit code, read from the exec's closing V1Status. */
  run(command: string[], io: { stdout?: Writable; stderr?: Writable; stdin?: Buffer | Readable }): Promise<number> {
    let stdin: Readable | null = null;
    if (Buffer.isBuffer(io.stdin)) {
      // Never ended on purpose: ending stdin closes the whole connection under the v4 protocol.
      const pass = new PassThrough();
      pass.write(io.stdin);
      stdin = pass;
    } else if (io.stdin) stdin = io.stdin;
    return new Promise((resolve, reject) => {
      let status: V1Status | undefined;
      this.exec
        .exec(this.namespace, this.podName, CONTAINER, command, io.stdout ?? null, io.stderr ?? null, stdin, false, (s) => (status = s))
        .then((ws) => {
          ws.on("close", () => {
            if (!status) return reject(new Error(`The connection to Pod ${this.podName} closed before "${command[0]}" finished.`));
            try {
              resolve(exitCodeFromStatus(status));
            } catch (err) {
              reject(err);
            }
          });
        }, (err: unknown) => reject(new Error(`Could not run "${command[0]}" in Pod ${this.podName}: ${err instanceof Error ? err.message : String(err)}`)));
    });
  }

  /** TERM the step's process group, KILL it after the grace period, and as a last resort delete the Pod. */
  private async stopStep(step: Promise<number>) {
    const ended = step.then(() => undefined, () => undefined);
    const signalGroup = (signal: string) => this.run(["sh", "-c", `read -r p < ${STEP_PID_FILE} && kill -${signal} "-$p"`], {}).catch(() => 1);
    await signalGroup("TERM");
    if (await settlesWithin(ended, KILL_GRACE_MS)) return;
    await signalGroup("KILL");
    if (await settlesWithin(ended, 2000)) return;
    await this.close();
  }
}

/** The exit code in an exec's final V1Status; a failure that is not an exit code (no such container...) is an error. */
export function exitCodeFromStatus(status: V1Status): number {
  if (status.status === "Success") return 0;
  if (status.reason === "NonZeroExitCode") {
    const code = Number(status.details?.causes?.find((c) => c.reason === "ExitCode")?.message);
    if (Number.isInteger(code)) return code;
  }
  throw new Error(`The command could not run in the Pod: ${status.message ?? status.reason ?? "unknown error"}`);
}

/** The tar the wrapper unpacks: `env` (exports, single-quoted, so no value is ever parsed as shell) and `script`. */
export function stepPayload(command: StepCommand): Buffer {
  if (command.shell !== "sh" && command.shell !== "bash") throw new Error(`Unknown shell "${String(command.shell)}".`);
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  const lines = [`slipway_dir=${quote(insideWorkspace(command.workingDirectory))}`];
  for (const [name, value] of Object.entries(command.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Environment variable name ${JSON.stringify(name)} is not valid in a Pod's shell.`);
    if (value.includes("\0")) throw new Error(`Environment variable ${name} holds a NUL byte, which no process can receive.`);
    lines.push(`export ${name}=${quote(value)}`);
  }
  return rootfsTar([
    { type: "file", path: "env", mode: 0o600, data: `${lines.join("\n")}\n` },
    { type: "file", path: "script", mode: 0o600, data: command.script },
  ]);
}
