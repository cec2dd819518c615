import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import Docker from "dockerode";
import {
  ABORTED_EXIT_CODE,
  CAP_DROP,
  currentOwner,
  insideWorkspace,
  isOrphan,
  KEEP_ALIVE,
  KILL_GRACE_MS,
  ownerLabels,
  settlesWithin,
  STEP_PID_FILE,
  type Owner,
} from "./container-common";
import type { Executor, ExecutorJob, ExecutorSession, StepCommand, StepIo } from "./types";

/** Where the job's workspace is mounted in its container. */
const CONTAINER_WORKSPACE = "/workspace";

/**
 * One fresh container per job: the workspace folder bind-mounted at /workspace,
 * a keep-alive process as PID 1, and each `run:` step as a `docker exec`.
 */

/**
 * Runs as `sh -c STEP_WRAPPER <shell>`: records the group to kill on abort, takes
 * the script out of the environment (the step's processes need not see it) and
 * becomes `<shell> -e -c <script>`. Values only ever travel in the environment.
 */
export const STEP_WRAPPER = `{ echo $$ > ${STEP_PID_FILE}; } 2>/dev/null; s=$SLIPWAY_STEP_SCRIPT; unset SLIPWAY_STEP_SCRIPT; exec "$0" -e -c "$s"`;

export type DockerExecutorOptions = {
  docker?: Docker;
  /** This worker process's id; labels every container so reapOrphans can tell whose it is. */
  workerId: string;
};

export function createDockerExecutor({ docker = new Docker(), workerId }: DockerExecutorOptions): Executor {
  const owner = currentOwner(workerId);
  const live = new Set<string>();
  return {
    name: "docker",
    isolation: "container",
    workspaceInside: () => CONTAINER_WORKSPACE,
    async prepare(job) {
      const container = await createJobContainer(docker, job, owner);
      live.add(container.id);
      return new DockerSession(docker, container, () => live.delete(container.id));
    },
    async reapOrphans() {
      const found = await docker.listContainers({ all: true, filters: { label: ["slipway.job", `slipway.host=${owner.host}`] } });
      let removed = 0;
      for (const info of found) {
        if (live.has(info.Id) || !isOrphan(info.Labels, owner)) continue;
        if (await removeContainer(docker.getContainer(info.Id))) removed++;
      }
      return removed;
    },
  };
}

async function createJobContainer(docker: Docker, job: ExecutorJob, owner: Owner) {
  if (!job.image) throw new Error(`Job ${job.jobId} has no image: the docker executor needs one to create its container.`);
  const workspace = path.resolve(job.workspace);
  const folder = await stat(workspace).catch(() => null);
  if (!folder?.isDirectory()) throw new Error(`The job's workspace ${workspace} is not a folder on this machine.`);
  await ensureImage(docker, job.image);

  const container = await docker.createContainer({
    name: `slipway-${job.jobId.replace(/[^a-zA-Z0-9_.-]/g, "-").slice(0, 40)}-${randomBytes(3).toString("hex")}`,
    Image: job.image,
    // An empty list, not undefined: the image's own entrypoint must not wrap the keep-alive.
    Entrypoint: [],
    Cmd: KEEP_ALIVE,
    WorkingDir: "/workspace",
    Labels: { "slipway.job": job.jobId, "slipway.run": job.runId, ...ownerLabels(owner) },
    HostConfig: {
      Mounts: [{ Type: "bind", Source: workspace, Target: "/workspace", ReadOnly: false }],
      NanoCpus: job.cpus ? Math.round(job.cpus * 1e9) : undefined,
      Memory: job.memoryMb ? job.memoryMb * 1024 * 1024 : undefined,
      // Equal to Memory: no swap on top, so the limit is the limit.
      MemorySwap: job.memoryMb ? job.memoryMb * 1024 * 1024 : undefined,
      Privileged: false,
      CapDrop: CAP_DROP,
      SecurityOpt: ["no-new-privileges"],
      PidsLimit: 1024,
      NetworkMode: job.network ? "bridge" : "none",
      AutoRemove: false,
    },
  });
  try {
    await container.start();
  } catch (err) {
    // No session exists yet to close, so a half-made container is cleaned up here.
    await removeContainer(container);
    throw new Error(`The job's container (image "${job.image}") did not start: ${messageOf(err)}`, { cause: err });
  }
  return container;
}

async function ensureImage(docker: Docker, image: string) {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string }>) => {
        const failed = err?.message ?? events.find((e) => e.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      }),
    );
  } catch (err) {
    throw new Error(`Image "${image}" is not on this machine and could not be pulled: ${messageOf(err)}. Build or load it, or check the registry.`, {
      cause: err,
    });
  }
}

class DockerSession implements ExecutorSession {
  readonly workspaceInside = CONTAINER_WORKSPACE;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    private readonly onClosed: () => void,
  ) {}

  async runStep(command: StepCommand, io: StepIo): Promise<{ exitCode: number }> {
    if (this.closing) throw new Error("This job's container is already closed.");
    const env = stepEnv(command);
    if (io.signal.aborted) return { exitCode: ABORTED_EXIT_CODE };
    const workingDir = insideWorkspace(command.workingDirectory);
    let exec: Docker.Exec;
    let stream: NodeJS.ReadWriteStream;
    try {
      exec = await this.container.exec({ Cmd: ["sh", "-c", STEP_WRAPPER, command.shell], Env: env, WorkingDir: workingDir, AttachStdout: true, AttachStderr: true, Tty: false });
      stream = await exec.start({ hijack: true, stdin: false });
    } catch (err) {
      throw new Error(`Could not start the step in the job's container (it may have stopped): ${messageOf(err)}`, { cause: err });
    }
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        io.onOutput(chunk);
        done();
      },
    });
    this.docker.modem.demuxStream(stream, sink, sink);
    const ended = new Promise<void>((resolve) => {
      stream.once("end", resolve);
      stream.once("close", resolve);
      stream.once("error", () => resolve());
    });

    let aborted = false;
    const onAbort = () => {
      aborted = true;
      void this.stopStep(ended);
    };
    io.signal.addEventListener("abort", onAbort, { once: true });
    if (io.signal.aborted) onAbort();
    try {
      await ended;
    } finally {
      io.signal.removeEventListener("abort", onAbort);
    }
    const exitCode = await exitCodeOf(exec);
    // A step that was stopped never counts as a success, even if it trapped the signal and exited 0.
    if (aborted) return { exitCode: exitCode > 0 ? exitCode : ABORTED_EXIT_CODE };
    return { exitCode };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await removeContainer(this.container);
      } finally {
        this.onClosed();
      }
    })();
    return this.closing;
  }

  /** TERM the step's process group, KILL it after the grace period, and as a last resort kill the container. */
  private async stopStep(ended: Promise<void>) {
    const signalGroup = (signal: "TERM" | "KILL") =>
      this.quietExec(["sh", "-c", `read -r p < ${STEP_PID_FILE} && kill -${signal} "-$p"`]).catch(() => undefined);
    await signalGroup("TERM");
    if (await settlesWithin(ended, KILL_GRACE_MS)) return;
    await signalGroup("KILL");
    if (await settlesWithin(ended, 2000)) return;
    await this.container.kill().catch(() => undefined);
  }

  private async quietExec(cmd: string[]) {
    const exec = await this.container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    stream.resume();
    await new Promise<void>((resolve) => {
      stream.once("end", resolve);
      stream.once("close", resolve);
      stream.once("error", () => resolve());
    });
  }
}

/** The step's variables as `K=V` entries, plus the script; names are checked so nothing odd reaches the engine. */
export function stepEnv(command: StepCommand): string[] {
  if (command.shell !== "sh" && command.shell !== "bash") throw new Error(`Unknown shell "${String(command.shell)}".`);
  const env: string[] = [];
  for (const [name, value] of Object.entries(command.env)) {
    if (!/^[^=\0]+$/.test(name)) throw new Error(`Environment variable name ${JSON.stringify(name)} is not valid.`);
    if (value.includes("\0")) throw new Error(`Environment variable ${name} holds a NUL byte, which no process can receive.`);
    if (name === "SLIPWAY_STEP_SCRIPT") continue;
    env.push(`${name}=${value}`);
  }
  env.push(`SLIPWAY_STEP_SCRIPT=${command.script}`);
  return env;
}

/** The exec's exit code; the output stream can end a moment before the engine records it. */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("The step's process ended but the container engine never reported its exit code.");
}

/** Stop (2 s) and remove with anonymous volumes; true if it existed. Never throws for "no such container". */
async function removeContainer(container: Docker.Container): Promise<boolean> {
  try {
    await container.stop({ t: 2 });
  } catch (err) {
    // 304: already stopped; 404: already gone; anything else still gets the forced remove below.
    if (statusOf(err) === 404) return false;
  }
  try {
    await container.remove({ v: true, force: true });
    return true;
  } catch (err) {
    // 409: removal already in progress (a concurrent close or reap).
    if (statusOf(err) === 404 || statusOf(err) === 409) return false;
    throw err;
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

function messageOf(err: unknown): string {
  const json = (err as { json?: { message?: string } } | null)?.json;
  return (json?.message ?? (err instanceof Error ? err.message : String(err))).trim();
}
