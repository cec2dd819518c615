import type { HealthCheck } from "./spec";
import type { HealthTally, InstanceStatus, TrafficWeights, VersionMetrics } from "./types";

/** What a target needs to start an instance of a release. */
export interface VersionRef {
  /** The label instances and traffic shares are known by (see `DeploymentState.newVersion`). */
  version: string;
  /** Image reference pinned by digest. */
  image: string;
}

export interface TargetInstance {
  id: string;
  version: string;
  status: InstanceStatus;
}

/**
 * Where one environment's instances run and how its traffic is split: the docker and local
 * targets (with the Slipway router) and the kubernetes target implement it in workers/targets.
 * The strategies never call it; the worker carries out their actions with it.
 *
 * Lifecycle, as the worker drives it for each reconcile:
 * 1. `listInstances`, `getTraffic` and `readMetrics` (for `analysisWindows(spec)`) build the
 *    Observation, together with the probe tallies the worker keeps per instance.
 * 2. `startInstance(version, env)` once per instance of a `startInstances` action. It returns
 *    as soon as the instance exists, so the next `listInstances` shows it.
 * 3. `waitReady` probes a started instance until it is ready or has failed, reporting every
 *    probe, so observations in the meantime carry the tally so far.
 * 4. `stopInstance(id, { drain: true })` takes the instance out of traffic, lets requests in
 *    flight finish, then stops and removes it. Stopping an instance that is gone is a no-op.
 * 5. `setTraffic(weights)` for `setTraffic` and `switchTraffic` (`{ [to]: 100 }`); it takes
 *    effect atomically for new requests and is a no-op when the split is already in place.
 * 6. `teardown()` when the environment goes away: stops every instance and removes the
 *    routes and networks the target created. Safe to call twice, and after a partial failure.
 *
 * Every method may be called again after a worker crash with the same arguments; none may
 * assume it is called once.
 */
export interface Target {
  listInstances(): Promise<TargetInstance[]>;
  /** Starts one instance with the environment's variables and secrets; returns its id. */
  startInstance(version: VersionRef, env: Record<string, string>): Promise<string>;
  /**
   * Probes `instanceId` as `check` says (initial delay, interval, timeout) until it is ready
   * (successThreshold passes in a row) or unhealthy (failureThreshold failures in a row), or
   * `signal` aborts. Resolves with the final tally.
   */
  waitReady(
    instanceId: string,
    check: HealthCheck,
    options: { signal?: AbortSignal; onProbe?: (tally: HealthTally) => void },
  ): Promise<HealthTally>;
  stopInstance(instanceId: string, options: { drain: boolean }): Promise<void>;
  /** Shares per version in whole percent, adding up to 100; an empty map serves nothing. */
  setTraffic(weights: TrafficWeights): Promise<void>;
  /** The split in force now, to verify a `setTraffic` took effect. */
  getTraffic(): Promise<TrafficWeights>;
  /** Requests, 5xx errors and p99 latency per version over the last `windowSeconds`. */
  readMetrics(windowSeconds: number): Promise<VersionMetrics[]>;
  teardown(): Promise<void>;
}
