import type { ChildProcess } from "node:child_process";
import readline from "node:readline";
import { PRIORITY, spawnAtPriority, type Priority } from "@/server/config/cpu-priority";

/** `priority`: the CPU priority it runs at (see server/config/cpu-priority.ts); the normal one when left out. */
export type ChildSpec = { name: string; args: string[]; env: NodeJS.ProcessEnv; priority?: Priority };

const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;

/**
 * Runs Slipway's processes (web, worker, router) as children of `npm start`:
 * prefixes their output with their name, restarts one that crashes (giving up
 * after five crashes in a minute) and stops them all in order on request.
 */
export class Children {
  private running = new Map<string, ChildProcess>();
  private crashes = new Map<string, number[]>();
  private stopping = false;

  constructor(private onGiveUp: (name: string) => void) {}

  start(spec: ChildSpec): void {
    const child = spawnAtPriority(spec.priority ?? PRIORITY.normal, process.execPath, spec.args, { env: spec.env, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    this.running.set(spec.name, child);
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on("line", (line) => console.log(`[${spec.name}] ${line}`));
    }
    child.on("exit", (code, signal) => {
      this.running.delete(spec.name);
      if (this.stopping) return;
      const now = Date.now();
      const recent = [...(this.crashes.get(spec.name) ?? []), now].filter((t) => now - t < CRASH_WINDOW_MS);
      this.crashes.set(spec.name, recent);
      if (recent.length >= MAX_CRASHES) return this.onGiveUp(spec.name);
      console.log(`[${spec.name}] exited (${signal ?? `code ${code}`}); restarting`);
      setTimeout(() => !this.stopping && this.start(spec), 500 * recent.length);
    });
  }

  /** SIGTERM to each, then SIGKILL to any still running after the grace period. */
  async stopAll(graceMs = 35_000): Promise<void> {
    this.stopping = true;
    const exits = [...this.running.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
          child.once("exit", () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    );
    await Promise.all(exits);
  }
}
