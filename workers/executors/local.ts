import { spawn } from "node:child_process";
import path from "node:path";
import type { Executor, ExecutorJob, ExecutorSession, StepCommand, StepIo } from "./types";

/** How long a step gets between SIGTERM and SIGKILL when it is cancelled or times out. */
const KILL_GRACE_MS = 3000;

/**
 * Runs steps as child processes in the job's workspace folder, each in its own
 * process group so cancelling kills everything the step started. Isolation is
 * weaker than a container's (same machine, same user): the UI says so. Steps
 * get a clean environment, never the worker's own (which holds its secrets).
 */
export function createLocalExecutor(): Executor {
  return {
    name: "local",
    isolation: "process",
    async prepare(job: ExecutorJob): Promise<ExecutorSession> {
      return new LocalSession(job);
    },
    async reapOrphans() {
      // Child processes die with their process group when the worker is killed; nothing outlives it here.
      return 0;
    },
  };
}

class LocalSession implements ExecutorSession {
  readonly workspaceInside: string;

  constructor(private readonly job: ExecutorJob) {
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
    return new Promise((resolve, reject) => {
      const child = spawn(command.shell, ["-e", "-c", command.script], {
        cwd,
        // Next's types make NODE_ENV mandatory in ProcessEnv; a job's environment has no such rule.
        env: env as NodeJS.ProcessEnv,
        detached: true, stdio: ["ignore", "pipe", "pipe"] });
      const group = child.pid!;
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-group, signal);
        } catch {
          // The group is already gone.
        }
      };
      let forceKill: NodeJS.Timeout | undefined;
      const onAbort = () => {
        killGroup("SIGTERM");
        forceKill = setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
      };
      if (io.signal.aborted) onAbort();
      else io.signal.addEventListener("abort", onAbort, { once: true });
      child.stdout!.on("data", io.onOutput);
      child.stderr!.on("data", io.onOutput);
      child.once("error", reject);
      child.once("close", (code, signal) => {
        io.signal.removeEventListener("abort", onAbort);
        clearTimeout(forceKill);
        // Background processes the step left behind go with it.
        killGroup("SIGKILL");
        resolve({ exitCode: code ?? 128 + signalNumber(signal) });
      });
    });
  }

  async close(): Promise<void> {
    // The engine removes the workspace folder; there is nothing else to release.
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : signal === "SIGINT" ? 2 : 1;
}
