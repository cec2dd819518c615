import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  analysisWindows,
  reconcile,
  TERMINAL_PHASES,
  type Action,
  type DeploymentState,
  type Observation,
  type ReconcileResult,
  type SmokeTestResult,
  type TargetInstance,
  type TrafficWeights,
  type WarmUp,
  warmUpSchema,
} from "@/server/deploy";
import { appendSignal, readSignals, recordEvent, recordPass, releaseLease, renewLease, type DriveContext, type EventInput } from "@/server/services/deploy-driver";
import type { DeployTarget } from "@/workers/targets/types";
import { ActionRunner } from "./actions";
import { Prober } from "./prober";

export type DriverOptions = {
  db: Database;
  driverId: string;
  target: DeployTarget;
  /** Variables and secrets every instance gets. */
  env: Record<string, string>;
  leaseMs: number;
  /** Longest wait between two observations when nothing pokes the driver. */
  observeMs: number;
  /** A delayed queue message, so the deployment wakes on time even if this worker dies. */
  enqueueWake: (at: Date) => Promise<void>;
};

/**
 * After acting, the target needs a moment: an instance to show up, a drain to begin. (A
 * split is in force when `setTraffic` returns: the route is pushed to the router.)
 */
const SETTLE_MS = 50;
const ANALYSIS_OBSERVE_MS = 250;

/**
 * Drives one deployment on this worker: observe the target, reconcile (server/deploy),
 * record the outcome in one transaction, then carry out the actions; again on every
 * health change, signal, wake-up or `observeMs`. Everything it knows is in the database
 * or on the target, so another worker resumes from the recorded state if this one dies.
 */
export class DeploymentDriver {
  readonly done: Promise<void>;
  private state: DeploymentState;
  private halted = false;
  private wake: (() => void) | null = null;
  private pokes = 0;
  private clockOffset = 0;
  private lastRecordedAt = 0;
  private lastStatus = "";
  private lastVerdict = "";
  private lastError = "";
  private lastActions = "";
  private traffic: TrafficWeights;
  private lastObservation: Observation | null = null;
  /** A health tally crossed between starting, ready and unhealthy while a pass was deciding. */
  private healthChanged = false;
  /** From a pass's reconcile until its actions are carried out. */
  private deciding = false;
  /** A rollback's move back to stable, carried out ahead of its pass's record (see `switchBackEarly`). */
  private switching: Promise<void> | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly prober: Prober;
  private readonly actions: ActionRunner;

  constructor(
    private readonly ctx: DriveContext,
    private readonly options: DriverOptions,
  ) {
    this.state = ctx.state;
    this.traffic = ctx.deployment.traffic;
    this.lastStatus = statusKey(ctx.deployment.phase, this.state.stepIndex, ctx.deployment.message);
    const note = (kind: string, message: string) => this.note(kind, message);
    const healthChanged = () => {
      // Between a decision and its actions the recorded state is about to change: the next pass looks.
      if (this.deciding) this.healthChanged = true;
      else this.switchBackEarly(this.quickObservation());
      this.poke();
    };
    // A deployment recorded before warm-ups could be set gets the default one.
    const warmUp = (this.state.spec.warmUp as WarmUp | undefined) ?? warmUpSchema.parse({});
    this.prober = new Prober(options.target, this.state.spec.healthCheck, warmUp, healthChanged, (message) => void note("error", message));
    // A smoke test that was running when the last worker died is asked for again (its result was lost with it).
    const smoke = ctx.deployment.smokeTest as SmokeTestResult | null;
    this.actions = new ActionRunner(options.target, [ctx.release, ...(ctx.previous ? [ctx.previous] : [])], options.env, {
      note,
      wakeAt: (at) => this.wakeAt(at),
      poke: () => this.poke(),
      giveUp: (reason) => this.giveUp(reason),
    }, smoke?.status === "running" ? null : smoke);
    this.done = this.run();
  }

  get deploymentId(): string {
    return this.ctx.deployment.id;
  }

  /** Reconcile now rather than at the next tick (a signal, a health change, a wake-up). */
  poke(): void {
    this.pokes++;
    this.wake?.();
  }

  /** Stops driving and keeps the lease, as a worker that dies does: another takes over once it runs out. */
  async halt(): Promise<void> {
    this.halted = true;
    this.poke();
    await this.done;
  }

  /** Stops driving and hands the deployment over at once (a worker shutting down). */
  async stop(): Promise<void> {
    await this.halt();
    await releaseLease(this.options.db, this.deploymentId, this.options.driverId);
  }

  private async run(): Promise<void> {
    const { db, target } = this.options;
    try {
      const [{ ms }] = await db.execute<{ ms: number }>(sql`select (extract(epoch from clock_timestamp()) * 1000)::float8 as ms`);
      // `now` comes from the database's clock, so workers on other machines agree on it.
      this.clockOffset = Number(ms) - Date.now();
      await target.prepare().catch(async (error: Error) => {
        // Said in the history; the lease then runs out and the sweep tries again on some worker.
        await this.note("error", `Could not prepare the target: ${error.message}`);
        throw error;
      });
      this.prober.seed(this.ctx.deployment.health);
      let first = true;
      while (!this.halted) {
        const pokes = this.pokes;
        let lost = false;
        if (this.healthChanged) {
          this.healthChanged = false;
          this.switchBackEarly(this.quickObservation());
        }
        const observation = await this.observe(first).catch(async (error: Error) => {
          await this.note("error", `Could not observe the target: ${error.message}`);
          // Still driving it while the target (or the router) is away; unless another worker took over meanwhile.
          lost = !(await renewLease(db, this.deploymentId, this.options.driverId, this.options.leaseMs));
          return null;
        });
        if (this.halted || lost) break;
        if (observation) {
          first = false;
          this.lastObservation = observation;
          this.deciding = true;
          const result = reconcile(this.state, observation, this.now());
          // The same actions again mean the target has not shown the last ones yet: say it once, and do not hurry.
          const actions = JSON.stringify(result.actions);
          const repeated = actions === this.lastActions;
          this.lastActions = actions;
          const early = this.switchBackEarly(result);
          const recorded = await this.record(result, observation, !repeated);
          await this.switching;
          if (!recorded) {
            this.deciding = false;
            break;
          }
          this.state = result.state;
          await this.actions.run(result.actions.filter((action) => !early.includes(action)));
          this.deciding = false;
          if (TERMINAL_PHASES.includes(result.state.phase)) break;
          if (result.actions.length > 0 && !repeated) await this.pause(SETTLE_MS, true);
          else if (repeated && result.actions.length > 0) await this.pause(this.options.observeMs, true);
        }
        if (this.pokes === pokes) await this.pause(this.observeEvery(), false);
      }
      await this.actions.settle();
    } finally {
      this.prober.stopAll();
      for (const timer of this.timers) clearTimeout(timer);
    }
  }

  /**
   * A pass that begins a rollback moves traffic back to stable at once, while the pass is
   * recorded, rather than after: on a loaded machine recording can take a good part of a
   * second, all of it with users on the failing version. Moving traffic to a stable version
   * that can carry it is always safe to do early; if this worker dies before recording the
   * rollback, the next one finds the failure again and does it properly. Takes a
   * ReconcileResult, or an observation to reconcile first (see `quickObservation`); returns
   * the actions it started, which the pass then leaves out.
   */
  private switchBackEarly(input: ReconcileResult | Observation | null): Action[] {
    if (input === null || this.halted) return [];
    const result = "actions" in input ? input : reconcile(this.state, input, this.now());
    if (this.state.rollback !== null || result.state.rollback === null) return [];
    const switches = result.actions.filter((action) => action.type === "switchTraffic");
    // One already on its way (from a health change) is this one: all traffic to stable.
    if (switches.length > 0 && this.switching === null) {
      this.switching = this.actions.run(switches).finally(() => {
        this.switching = null;
      });
    }
    return switches;
  }

  /**
   * The last observation with the health tallies of now, for a health change to be acted on
   * before a whole new observation (a few round trips to a busy database and router) is in:
   * only while it shows the effect of the last actions, as any observation must.
   */
  private quickObservation(): Observation | null {
    const last = this.lastObservation;
    if (last === null || (this.state.actedAt !== null && last.observedAt <= this.state.actedAt)) return null;
    return { ...last, instances: last.instances.map((instance) => ({ ...instance, health: this.prober.tally(instance.id) })) };
  }

  /** While a canary is analysed, a breach must be seen soon after the requests show it: look more often then. */
  private observeEvery(): number {
    const { spec, stepIndex, stepStartedAt } = this.state;
    const analysing = spec.strategy === "canary" && stepStartedAt !== null && "analysis" in (spec.steps[stepIndex] ?? {});
    return analysing ? Math.min(this.options.observeMs, ANALYSIS_OBSERVE_MS) : this.options.observeMs;
  }

  private now(): number {
    return Date.now() + this.clockOffset;
  }

  private async observe(first: boolean): Promise<Observation> {
    const { target, db } = this.options;
    const observedAt = this.now();
    const windows = analysisWindows(this.state.spec);
    // All at once: on a loaded machine each read waits its turn for the router or the
    // database, and a failing canary is seen one pass sooner for not queueing them.
    const [instances, traffic, metrics, signals] = await Promise.all([
      target.listInstances(),
      target.getTraffic(),
      Promise.all(windows.map((w) => target.readMetrics(w))).then((all) => all.flat()),
      readSignals(db, this.deploymentId),
    ]);
    if (first) await this.prober.prime(instances, (i: TargetInstance) => i.version !== this.state.newVersion);
    this.prober.track(instances);
    for (const instance of instances) if (instance.status === "stopping") this.actions.adoptStop(instance.id);
    return {
      observedAt,
      instances: instances.map((i) => ({ ...i, health: this.prober.tally(i.id) })),
      traffic,
      metrics,
      signals,
      smokeTest: this.actions.smokeTest,
    };
  }

  /** One transaction per pass that changed something (or when the lease is due); false when the lease was lost. */
  private async record(result: ReconcileResult, observation: Observation, newActions: boolean): Promise<boolean> {
    const events = this.eventsFor(result);
    const changed =
      (newActions && result.actions.length > 0) ||
      events.length > 0 ||
      this.prober.takeDirty() ||
      JSON.stringify(result.state) !== JSON.stringify(this.state) ||
      JSON.stringify(observation.traffic) !== JSON.stringify(this.traffic);
    if (!changed && Date.now() - this.lastRecordedAt < this.options.leaseMs / 3) return true;
    const ok = await recordPass(this.options.db, {
      deploymentId: this.deploymentId,
      driverId: this.options.driverId,
      leaseMs: this.options.leaseMs,
      result,
      traffic: observation.traffic,
      health: this.prober.snapshot(),
      smokeTest: this.actions.smokeTest,
      events,
      recordActions: newActions,
      notify: changed,
    });
    this.lastRecordedAt = Date.now();
    this.traffic = observation.traffic;
    return ok;
  }

  /** Status changes (ignoring counters that tick every pass) and canary analysis verdicts, for the history. */
  private eventsFor(result: ReconcileResult): EventInput[] {
    const events: EventInput[] = [];
    const key = statusKey(result.state.phase, result.state.stepIndex, result.status.message);
    if (key !== this.lastStatus) events.push({ kind: "status", message: result.status.message, data: { phase: result.state.phase, step: result.status.step } });
    this.lastStatus = key;
    // Each verdict the state machine reached, once per step and outcome.
    const judged = result.analysis;
    if (judged) {
      const verdictKey = `${judged.step}:${judged.verdict}`;
      if (verdictKey !== this.lastVerdict) {
        events.push({ kind: "analysis", message: judged.reason, data: { step: judged.step, verdict: judged.verdict, canary: judged.canary, stable: judged.stable } });
      }
      this.lastVerdict = verdictKey;
    }
    return events;
  }

  private async note(kind: string, message: string): Promise<void> {
    // The same failure every tick (the router restarting, say) is one line, not hundreds.
    if (kind === "error" && message === this.lastError) return;
    if (kind === "error") this.lastError = message;
    await recordEvent(this.options.db, this.deploymentId, { kind, message }).catch(() => undefined);
  }

  private wakeAt(at: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.poke();
    }, Math.max(0, at - this.now()));
    this.timers.add(timer);
    void this.options.enqueueWake(new Date(at)).catch((error: Error) => this.note("error", `Could not schedule a wake-up: ${error.message}`));
  }

  /** The new version cannot start at all: abort as slipway, so the stable release serves again and the reason is on record. */
  private async giveUp(reason: string): Promise<void> {
    await this.options.db.transaction((tx) => appendSignal(tx, this.deploymentId, "abort", { userId: null, label: `slipway (${reason})` }));
    this.poke();
  }

  /** Waits `ms`, or less when poked (unless `settleOnly`: then it waits the whole time). */
  private pause(ms: number, settleOnly: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      if (settleOnly) return;
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}

function statusKey(phase: string, stepIndex: number, message: string): string {
  return `${phase}|${stepIndex}|${message.replace(/\d+(\.\d+)?/g, "#")}`;
}
