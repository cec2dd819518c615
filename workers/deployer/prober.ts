import { instanceHealth, probePassed, recordProbe, UNPROBED, type HealthCheck, type HealthTally, type TargetInstance, type WarmUp } from "@/server/deploy";
import { sleep } from "@/workers/targets/probe";
import type { DeployTarget } from "@/workers/targets/types";

/** While a process has never answered, a refused connection is retried this often without counting. */
const STARTUP_RETRY_MS = 100;

/**
 * The health checks of one deployment's instances: one probe loop per running instance,
 * every `intervalSeconds`, for as long as it runs (a ready instance that starts failing is
 * caught too, which `Target.waitReady` alone would not do). Tallies follow Kubernetes'
 * thresholds via server/deploy's `recordProbe`; a change of ready/unhealthy calls
 * `onChange`, so the driver reconciles at once instead of at its next tick.
 */
export class Prober {
  private readonly tallies = new Map<string, HealthTally>();
  private readonly loops = new Map<string, AbortController>();
  /** Set when a tally crossed between starting, ready and unhealthy since the last `takeDirty`. */
  private dirty = false;

  constructor(
    private readonly target: DeployTarget,
    private readonly check: HealthCheck,
    private readonly warmUp: WarmUp,
    private readonly onChange: () => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Tallies recorded by the worker that drove the deployment before (they survive it in the database). */
  seed(health: Record<string, HealthTally>): void {
    for (const [id, tally] of Object.entries(health)) this.tallies.set(id, tally);
  }

  /**
   * One probe of every running instance nobody has a tally for, before the first reconcile:
   * a rolling update that saw the serving instances as unprobed would take them for broken
   * and stop them. Instances that were serving before (`serving`) are ready on one pass.
   */
  async prime(instances: TargetInstance[], serving: (instance: TargetInstance) => boolean): Promise<void> {
    const fresh = instances.filter((i) => i.status === "running" && !this.tallies.has(i.id));
    await Promise.all(
      fresh.map(async (instance) => {
        const { status } = await this.target.probe(instance.id, this.check);
        const passed = probePassed(status, this.check);
        if (passed && serving(instance)) {
          await this.target.admit(instance.id);
          this.tallies.set(instance.id, { consecutiveSuccesses: this.check.successThreshold, consecutiveFailures: 0, ready: true });
        } else if (status !== null) {
          this.tallies.set(instance.id, recordProbe(UNPROBED, passed, this.check));
        }
      }),
    );
  }

  /** Starts loops for running instances, ends those of instances that stopped or went. */
  track(instances: TargetInstance[]): void {
    const running = new Set(instances.filter((i) => i.status === "running").map((i) => i.id));
    for (const [id, controller] of this.loops) {
      if (!running.has(id)) {
        controller.abort();
        this.loops.delete(id);
      }
    }
    for (const id of running) {
      if (this.loops.has(id)) continue;
      const controller = new AbortController();
      this.loops.set(id, controller);
      void this.loop(id, controller.signal).catch((error: Error) => this.onError(`Health check of ${id} stopped: ${error.message}`));
    }
    const present = new Set(instances.map((i) => i.id));
    for (const id of this.tallies.keys()) if (!present.has(id)) this.tallies.delete(id);
  }

  tally(id: string): HealthTally {
    return this.tallies.get(id) ?? UNPROBED;
  }

  snapshot(): Record<string, HealthTally> {
    return Object.fromEntries(this.tallies);
  }

  takeDirty(): boolean {
    const was = this.dirty;
    this.dirty = false;
    return was;
  }

  stopAll(): void {
    for (const controller of this.loops.values()) controller.abort();
    this.loops.clear();
  }

  private async loop(id: string, signal: AbortSignal): Promise<void> {
    if (!this.tallies.has(id)) await sleep(this.check.initialDelaySeconds * 1000, signal);
    const startupUntil = Date.now() + (this.check.initialDelaySeconds + this.check.intervalSeconds * this.check.failureThreshold) * 1000;
    let answered = this.tallies.has(id);
    while (!signal.aborted) {
      const result = await this.target.probe(id, this.check, signal);
      if (signal.aborted) return;
      // A process still binding its port is starting, not failing: counting that would make every
      // new instance wait a whole interval (or fail a strict threshold) for nothing.
      if (result.refused && !answered && Date.now() < startupUntil) {
        await sleep(STARTUP_RETRY_MS, signal);
        continue;
      }
      answered ||= result.status !== null;
      const before = this.tally(id);
      let next = recordProbe(before, probePassed(result.status, this.check), this.check);
      if (next.ready && !before.ready) {
        // A failed warm-up request is a failed probe: the instance is not ready after all.
        const failedWarmUp = await this.target.warmUp?.(id, this.check, this.warmUp, signal);
        if (signal.aborted) return;
        // It takes traffic only once the router knows it; until then it is not ready.
        next = failedWarmUp
          ? recordProbe(before, false, this.check)
          : await this.target.admit(id).then(
              () => next,
              (error: Error) => {
                this.onError(`Could not add ${id} to the router: ${error.message}`);
                return before;
              },
            );
      }
      this.tallies.set(id, next);
      if (healthOf(before, this.check) !== healthOf(next, this.check)) {
        this.dirty = true;
        this.onChange();
      }
      await sleep(this.check.intervalSeconds * 1000, signal);
    }
  }
}

function healthOf(tally: HealthTally, check: HealthCheck) {
  return instanceHealth({ id: "", version: "", status: "running", health: tally }, check);
}
