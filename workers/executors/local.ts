import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ownPriority, setSessionPriority } from "@/server/config/cpu-priority";
import { isAlive } from "@/server/config/pid";
import { launcherSocketPath, StepLauncher, type LaunchedStep, type StepProcess } from "./step-launcher";
import type { Executor, ExecutorJob, ExecutorSession, StepCommand, StepIo } from "./types";

/** How long a step gets between SIGTERM and SIGKILL when it is cancelled or times out. */
const KILL_GRACE_MS = 3000;

/**
 * Runs steps as child processes in the job's workspace folder, each in its own
 * process group so cancelling kills everything the step started. Isolation is
 * weaker than a container's (same machine, same user): the UI says so. Steps
 * get a clean environment, never the worker's own (which holds its secrets).
 *
 * Each running step's process group is noted in `stateDir` with the worker's
 * pid, because a worker killed with SIGKILL cannot stop its steps: the next
 * worker on the machine kills the groups whose worker is gone.
 */
export function createLocalExecutor({ stateDir, launcher = true }: { stateDir: string; launcher?: boolean }): Executor {
  const groups = path.join(stateDir, "local-steps");
  mkdirSync(groups, { recursive: true });
  // Started with the first step (again if it stopped); null where it cannot run (no perl): steps are then spawned by the worker itself.
  let started: Promise<StepLauncher | null> | null = null;
  const stepLauncher = async (): Promise<StepLauncher | null> => {
    if (!launcher) return null;
    const current = await (started ??= StepLauncher.start(launcherSocketPath(stateDir)));
    if (!current || current.alive) return current;
    started = null;
    return stepLauncher();
  };
  return {
    name: "local",
    isolation: "process",
    workspaceInside: (job) => job.workspace,
    async prepare(job: ExecutorJob): Promise<ExecutorSession> {
      return new LocalSession(job, groups, stepLauncher);
    },
    async reapOrphans() {
      let reaped = 0;
      for (const file of readdirSync(groups)) {
        const owner = Number(readFileSync(path.join(groups, file), "utf8"));
        if (isAlive(owner)) continue;
        killGroup(Number(file), "SIGKILL");
        rmSync(path.join(groups, file), { force: true });
        reaped++;
      }
      return reaped;
    },
  };
}

function killGroup(group: number, signal: NodeJS.Signals) {
  try {
    process.kill(-group, signal);
  } catch {
    // The group is already gone.
  }
}

class LocalSession implements ExecutorSession {
  readonly workspaceInside: string;

  constructor(
    private readonly job: ExecutorJob,
    private readonly groups: string,
    private readonly launcher: () => Promise<StepLauncher | null>,
  ) {
    this.workspaceInside = job.workspace;
  }

  runStep(command: StepCommand, io: StepIo): Promise<{ exitCode: number }> {
    const cwd = path.resolve(this.job.workspace, command.workingDirectory ?? ".");
    if (!cwd.startsWith(path.resolve(this.job.workspace))) {
      return Promise.reject(new Error(`working-directory "${command.workingDirectory}" leaves the workspace`));
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: this.job.workspace,
      LANG: process.env.LANG ?? "C.UTF-8",
      TMPDIR: process.env.TMPDIR ?? "/tmp",
      ...command.env,
    };
    return this.supervise({ shell: command.shell, script: command.script, cwd, env }, io);
  }

  /** Runs the step (from the launcher when there is one, else spawned here) and stops its process group on abort and at its end. */
  private async supervise(step: StepProcess, io: StepIo): Promise<{ exitCode: number }> {
    const launcher = await this.launcher();
    const { started, exited } = launcher ? launcher.launch(step, io.onOutput) : spawnStep(step, io.onOutput);
    let group = 0;
    let forceKill: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (!group) return;
      killGroup(group, "SIGTERM");
      forceKill = setTimeout(() => killGroup(group, "SIGKILL"), KILL_GRACE_MS);
    };
    io.signal.addEventListener("abort", onAbort, { once: true });
    const note = started.then((pid) => {
      group = pid;
      const file = path.join(this.groups, String(pid));
      writeFileSync(file, String(process.pid));
      if (io.signal.aborted) onAbort();
      return file;
    });
    try {
      return await exited;
    } finally {
      io.signal.removeEventListener("abort", onAbort);
      clearTimeout(forceKill);
      // Background processes the step left behind go with it.
      if (group) killGroup(group, "SIGKILL");
      await note.then((file) => rmSync(file, { force: true })).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    // The engine removes the workspace folder; there is nothing else to release.
  }
}

/** The step as a child of the worker itself (when no launcher runs). */
function spawnStep(step: StepProcess, onOutput: (chunk: Buffer) => void): LaunchedStep {
  const child = spawn(step.shell, ["-e", "-c", step.script], {
    cwd: step.cwd,
    // Next's types make NODE_ENV mandatory in ProcessEnv; a job's environment has no such rule.
    env: step.env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid) setSessionPriority(child.pid, ownPriority());
  child.stdout!.on("data", onOutput);
  child.stderr!.on("data", onOutput);
  const exited = new Promise<{ exitCode: number }>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ exitCode: code ?? 128 + signalNumber(signal) }));
  });
  const started = child.pid ? Promise.resolve(child.pid) : exited.then(() => 0);
  return { started, exited };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : signal === "SIGINT" ? 2 : 1;
}
