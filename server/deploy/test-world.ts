import { analysisWindows } from "./analysis";
import { recordProbe } from "./health";
import { createDeployment, reconcile } from "./reconcile";
import { deploymentSpecSchema, type DeploymentSpec, type DeploymentSpecInput } from "./spec";
import {
  TERMINAL_PHASES,
  type Action,
  type DeploymentState,
  type ManualSignal,
  type Observation,
  type ObservedInstance,
  type ReconcileResult,
  type SignalType,
  type SmokeTestResult,
  type TrafficWeights,
} from "./types";

/**
 * Test support only: an in-memory target steered by knobs, and a driver that plays the
 * worker (observe, reconcile, carry out the actions, let a health-check interval pass).
 */

export interface WorldKnobs {
  /** Failed probes before an instance of the version first passes; Infinity never passes. Default 0. */
  failingProbes?: Record<string, number>;
  /** Share of requests answered with a 5xx, per version. */
  errorRate?: Record<string, number>;
  p99Ms?: Record<string, number>;
  /** Total requests per second across all versions. Default 10. */
  requestsPerSecond?: number;
  /** What a smoke-test run reports once it finished. Default passed. */
  smokeTest?: SmokeTestResult;
}

interface SimInstance extends ObservedInstance {
  failsLeft: number;
}

export const START = Date.UTC(2025, 0, 1);

export class World {
  now = START;
  instances: SimInstance[] = [];
  traffic: TrafficWeights = {};
  smokeTest: SmokeTestResult | null = null;
  signals: ManualSignal[] = [];
  private nextId = 1;

  constructor(
    private readonly spec: DeploymentSpec,
    private readonly knobs: WorldKnobs,
    stable: string | null,
  ) {
    if (stable === null) return;
    for (let i = 0; i < spec.replicas; i++) this.add(stable, { consecutiveSuccesses: 1, consecutiveFailures: 0, ready: true });
    this.traffic = { [stable]: 100 };
  }

  apply(actions: Action[]): void {
    for (const action of actions) {
      if (action.type === "startInstances") for (let i = 0; i < action.count; i++) this.add(action.version);
      if (action.type === "stopInstances") this.instances = this.instances.filter((instance) => !action.instanceIds.includes(instance.id));
      if (action.type === "setTraffic") this.traffic = { ...action.weights };
      if (action.type === "switchTraffic") this.traffic = { [action.to]: 100 };
      if (action.type === "runSmokeTest") this.smokeTest = { status: "running" };
    }
  }

  /** One health-check interval passes: every instance is probed once, a running smoke test finishes. */
  tick(): void {
    const check = this.spec.healthCheck;
    this.now += check.intervalSeconds * 1000;
    for (const instance of this.instances) {
      const passed = instance.failsLeft <= 0;
      instance.failsLeft -= 1;
      instance.health = recordProbe(instance.health, passed, check);
    }
    if (this.smokeTest?.status === "running") this.smokeTest = this.knobs.smokeTest ?? { status: "passed" };
  }

  signal(type: SignalType, by = "alice"): void {
    this.signals.push({ seq: this.signals.length + 1, type, by });
  }

  observe(): Observation {
    const rps = this.knobs.requestsPerSecond ?? 10;
    const versions = [...new Set(this.instances.map((instance) => instance.version))];
    const metrics = analysisWindows(this.spec).flatMap((windowSeconds) =>
      versions.map((version) => {
        const requests = Math.round((rps * windowSeconds * (this.traffic[version] ?? 0)) / 100);
        const errors = Math.round(requests * (this.knobs.errorRate?.[version] ?? 0));
        return { version, windowSeconds, requests, errors, p99Ms: requests === 0 ? null : (this.knobs.p99Ms?.[version] ?? 100) };
      }),
    );
    return {
      observedAt: this.now,
      instances: this.instances.map(({ id, version, status, health }) => ({ id, version, status, health: { ...health } })),
      traffic: { ...this.traffic },
      metrics,
      signals: [...this.signals],
      smokeTest: this.smokeTest,
    };
  }

  readyCount(): number {
    return this.instances.filter((instance) => instance.health.ready).length;
  }

  private add(version: string, health = { consecutiveSuccesses: 0, consecutiveFailures: 0, ready: false }): void {
    const failsLeft = this.knobs.failingProbes?.[version] ?? 0;
    this.instances.push({ id: `${version}-${this.nextId++}`, version, status: "running", health, failsLeft });
  }
}

export interface Scenario extends WorldKnobs {
  spec: DeploymentSpecInput;
  /** Default "v1"; null for an environment's first deployment. */
  stable?: string | null;
}

/** Plays the worker against a World, one reconcile per health-check interval. */
export class Driver {
  readonly world: World;
  state: DeploymentState;
  readonly history: { observation: Observation; result: ReconcileResult }[] = [];

  constructor(scenario: Scenario) {
    const spec = deploymentSpecSchema.parse(scenario.spec);
    const stable = scenario.stable === undefined ? "v1" : scenario.stable;
    this.state = createDeployment({ spec, stableVersion: stable, newVersion: "v2" });
    this.world = new World(spec, scenario, stable);
  }

  /** `carriedOut` below the number of actions: the worker recorded the state, then died after that many. */
  step(carriedOut = Infinity): ReconcileResult {
    if (this.history.length > 0) this.world.tick();
    const observation = this.world.observe();
    const result = reconcile(this.state, observation, this.world.now);
    this.history.push({ observation, result });
    this.state = result.state;
    this.world.apply(result.actions.slice(0, carriedOut));
    return result;
  }

  /** Steps until `done` holds for a result; fails the test if that takes more than `limit` steps. */
  runUntil(done: (result: ReconcileResult) => boolean, limit = 200): ReconcileResult {
    for (let i = 0; i < limit; i++) {
      const result = this.step();
      if (done(result)) return result;
    }
    throw new Error(`Still ${this.state.phase} after ${limit} steps`);
  }

  runToEnd(limit?: number): ReconcileResult {
    return this.runUntil((result) => TERMINAL_PHASES.includes(result.state.phase), limit);
  }

  actions(): Action[] {
    return this.history.flatMap((entry) => entry.result.actions);
  }

  /** The distinct traffic splits the target went through, in order. */
  trafficHistory(): TrafficWeights[] {
    const splits = this.history.map((entry) => entry.observation.traffic);
    splits.push(this.world.observe().traffic);
    return splits.filter((split, i) => i === 0 || JSON.stringify(split) !== JSON.stringify(splits[i - 1]));
  }
}
