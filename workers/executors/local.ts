import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isAlive } from "@/server/config/pid";
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
export function createLocalExecutor({ stateDir }: { stateDir: string }): Executor {
  const groups = path.join(stateDir, "local-steps");
  mkdirSync(groups, { recursive: true });
  return {
    name: "local",
    isolation: "process",
    async prepare(job: ExecutorJob): Promise<ExecutorSession> {
      return new LocalSession(job, groups);
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
    return new Promise((resolve, reject) => {
      const child = spawn(command.shell, ["-e", "-c", command.script], {
        cwd,
        // Next's types make NODE_ENV mandatory in ProcessEnv; a job's environment has no such rule.
        env: env as NodeJS.ProcessEnv,
        detached: true, stdio: ["ignore", "pipe", "pipe"] });
      const group = child.pid ?? 0;
      const note = path.join(this.groups, String(group));
      if (group) writeFileSync(note, String(process.pid));
      let forceKill: NodeJS.Timeout | undefined;
      const onAbort = () => {
        killGroup(group, "SIGTERM");
        forceKill = setTimeout(() => killGroup(group, "SIGKILL"), KILL_GRACE_MS);
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
        killGroup(group, "SIGKILL");
        rmSync(note, { force: true });
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
