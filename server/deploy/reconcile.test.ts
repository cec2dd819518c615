import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDeployment, reconcile } from "./reconcile";
import { deploymentSpecSchema, type DeploymentSpecInput } from "./spec";
import { Driver } from "./test-world";
import { TERMINAL_PHASES, type SignalType } from "./types";

const analysis = { windowSeconds: 20, minRequests: 10 };
const unattended: DeploymentSpecInput[] = [
  { strategy: "rolling", replicas: 3 },
  { strategy: "rolling", replicas: 5, maxSurge: 0, maxUnavailable: 2 },
  { strategy: "blue-green", replicas: 2, scaleDownDelaySeconds: 20, smokeTestJob: "e2e" },
  { strategy: "canary", replicas: 4, steps: [{ setWeight: 25 }, { pause: { durationSeconds: 15 } }, { analysis }, { setWeight: 75 }] },
];
const attended: DeploymentSpecInput[] = [
  { strategy: "blue-green", replicas: 2, autoPromote: false },
  { strategy: "canary", replicas: 3, steps: [{ setWeight: 50 }, { pause: {} }, { analysis }, { pause: {} }] },
];

const world = {
  stable: fc.constantFrom<string | null>("v1", null),
  failingProbes: fc.constantFrom(0, 1, 2, Infinity).map((probes) => ({ v2: probes })),
  errorRate: fc.constantFrom(0, 0.3).map((rate) => ({ v2: rate })),
  smokeTest: fc.constantFrom({ status: "passed" as const }, { status: "failed" as const, detail: "500" }),
};
const signal = fc.record({ atStep: fc.nat(40), type: fc.constantFrom<SignalType>("resume", "promoteNow", "abort", "pause") });

describe("reconcile", () => {
  it("adds no actions when replayed on its own output without a new observation", () => {
    const scenario = fc.record({ spec: fc.constantFrom(...unattended, ...attended), ...world, signals: fc.array(signal, { maxLength: 4 }) });
    fc.assert(
      fc.property(scenario, ({ signals, ...options }) => {
        const driver = new Driver(options);
        for (let i = 0; i < 80 && !TERMINAL_PHASES.includes(driver.state.phase); i++) {
          for (const { type } of signals.filter((planned) => planned.atStep === i)) driver.world.signal(type);
          const result = driver.step();
          const { observation } = driver.history[i];
          const replay = reconcile(result.state, observation, observation.observedAt);
          expect(replay.actions).toEqual([]);
          expect(replay.state).toEqual(result.state);
        }
      }),
    );
  });

  it("finishes the same way when the worker dies after recording the state but before carrying out all actions", () => {
    const crashes = fc.array(fc.option(fc.nat(3), { nil: undefined, freq: 3 }), { maxLength: 60 });
    const scenario = fc.record({ spec: fc.constantFrom(...unattended), ...world, crashes });
    fc.assert(
      fc.property(scenario, ({ crashes, ...options }) => {
        const reference = new Driver(options);
        reference.runToEnd();
        const driver = new Driver(options);
        const replicas = driver.state.spec.replicas;
        for (let i = 0; i < 300 && !TERMINAL_PHASES.includes(driver.state.phase); i++) {
          driver.step(crashes[i]);
          // Asked again only for what is missing: never more instances of a version than replicas.
          for (const version of ["v1", "v2"]) {
            expect(driver.world.instances.filter((instance) => instance.version === version).length).toBeLessThanOrEqual(replicas);
          }
        }
        expect(driver.state.phase).toBe(reference.state.phase);
        expect(driver.world.traffic).toEqual(reference.world.traffic);
        expect(driver.world.instances.map((instance) => instance.version)).toEqual(reference.world.instances.map((instance) => instance.version));
      }),
    );
  });

  it("ignores an observation taken before its last actions ran", () => {
    const driver = new Driver({ spec: { strategy: "rolling", replicas: 2 } });
    const first = driver.step();
    expect(first.actions).not.toEqual([]);
    const stale = reconcile(first.state, { ...driver.world.observe(), observedAt: first.state.actedAt! }, first.state.actedAt! + 1000);
    expect(stale.actions).toEqual([]);
    expect(stale.status.message).toBe("Waiting for the target to show the last changes");
  });

  it("acts on each signal once", () => {
    const driver = new Driver({ spec: { strategy: "canary", steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 20 }, { pause: {} }] } });
    driver.runUntil((result) => result.state.phase === "paused");
    driver.world.signal("resume");
    const second = driver.runUntil((result) => result.state.phase === "paused");
    expect(second.state.stepIndex).toBe(3);
    for (let i = 0; i < 5; i++) expect(driver.step().state.phase).toBe("paused");
  });

  it("does nothing once the deployment has finished", () => {
    const driver = new Driver({ spec: { strategy: "rolling", replicas: 2 } });
    const final = driver.runToEnd();
    const again = reconcile(final.state, driver.world.observe(), driver.world.now + 60_000);
    expect(again.actions).toEqual([]);
    expect(again.status).toEqual({ phase: "succeeded", message: "v2 is live", step: null, reason: null });
  });

  it("fails a first deployment that has nothing to roll back to, and stops its instances", () => {
    const driver = new Driver({ spec: { strategy: "rolling", replicas: 2 }, stable: null, failingProbes: { v2: Infinity } });
    const final = driver.runToEnd();
    expect(final.status.phase).toBe("failed");
    expect(final.status.message).toMatch(/^Failed: Instance v2-\d+ of v2 failed its health check/);
    expect(driver.world.instances).toEqual([]);
  });

  it("ignores promoteNow and abort after the deployment has finished rolling back", () => {
    const driver = new Driver({ spec: { strategy: "rolling", replicas: 2 }, failingProbes: { v2: Infinity } });
    driver.runToEnd();
    driver.world.signal("abort");
    driver.world.signal("promoteNow");
    expect(reconcile(driver.state, driver.world.observe(), driver.world.now + 1).state.phase).toBe("rolled_back");
  });

  it("refuses a new version equal to the stable one", () => {
    const spec = deploymentSpecSchema.parse({ strategy: "rolling" });
    expect(() => createDeployment({ spec, stableVersion: "v1", newVersion: "v1" })).toThrow("The new version must differ from the stable one");
  });
});
