import { describe, expect, it } from "vitest";
import type { DeploymentSpecInput } from "./spec";
import { FIRST_DEPLOYMENT_NOTE } from "./canary";
import { Driver } from "./test-world";

const analysis = { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 };
const canary = (steps: unknown[]) => ({ strategy: "canary", replicas: 4, steps }) as DeploymentSpecInput;
const versions = (driver: Driver) => driver.world.instances.map((instance) => instance.version);

describe("canary deployment", () => {
  it("walks setWeight, pause and analysis steps, then promotes fully", () => {
    const driver = new Driver({
      spec: canary([{ setWeight: 25 }, { pause: { durationSeconds: 30 } }, { setWeight: 50 }, { analysis }]),
      failingProbes: { v2: 1 },
    });
    const final = driver.runToEnd();

    expect(final.state.phase).toBe("succeeded");
    expect(driver.trafficHistory()).toEqual([{ v1: 100 }, { v1: 75, v2: 25 }, { v1: 50, v2: 50 }, { v2: 100 }]);
    expect(versions(driver)).toEqual(["v2", "v2", "v2", "v2"]);
    // Canary instances follow the weight: one for 25%, two for 50%, all four to promote.
    const starts = driver.actions().filter((action) => action.type === "startInstances");
    expect(starts).toEqual([
      { type: "startInstances", version: "v2", count: 1 },
      { type: "startInstances", version: "v2", count: 1 },
      { type: "startInstances", version: "v2", count: 2 },
    ]);
  });

  it("keeps every stable instance until the canary is promoted", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 50 }, { pause: { durationSeconds: 10 } }]) });
    driver.runToEnd();
    const beforePromotion = driver.history.filter((entry) => entry.observation.traffic.v2 !== 100);
    for (const entry of beforePromotion) expect(entry.observation.instances.filter((instance) => instance.version === "v1")).toHaveLength(4);
  });

  it("waits out a timed pause before the next step", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 20 }, { pause: { durationSeconds: 30 } }, { setWeight: 60 }]) });
    const paused = driver.runUntil((result) => result.state.phase === "paused");
    const until = paused.state.stepStartedAt! + 30_000;
    expect(paused.actions).toEqual([{ type: "scheduleWake", at: until }]);
    const next = driver.runUntil((result) => result.actions.some((action) => action.type === "setTraffic"));
    expect(next.state.stepIndex).toBe(2);
    expect(driver.world.now).toBeGreaterThanOrEqual(until);
  });

  it("aborts back to stable with all traffic when the analysis sees 5xx responses", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 25 }, { analysis }, { setWeight: 50 }]), errorRate: { v2: 0.2 } });
    const final = driver.runToEnd();

    expect(final.state.phase).toBe("rolled_back");
    expect(final.status.reason).toBe("Canary error rate 20% over the last 30 s (75 requests) exceeded the limit of 5%");
    expect(driver.world.traffic).toEqual({ v1: 100 });
    expect(versions(driver)).toEqual(["v1", "v1", "v1", "v1"]);

    // Traffic goes back first; the canary stops only once the target shows it has none.
    const back = driver.history.findIndex((entry) => entry.result.actions.some((action) => action.type === "switchTraffic"));
    const stop = driver.history.findIndex((entry) => entry.result.actions.some((action) => action.type === "stopInstances"));
    expect(driver.history[back].result.actions.map((action) => action.type)).toEqual(["rollback", "switchTraffic"]);
    expect(stop).toBeGreaterThan(back);
    expect(driver.history[stop].observation.traffic).toEqual({ v1: 100 });
  });

  it("fails on latency relative to stable", () => {
    const driver = new Driver({
      spec: canary([{ setWeight: 50 }, { analysis: { ...analysis, maxP99RatioToStable: 1.5 } }]),
      p99Ms: { v1: 200, v2: 400 },
    });
    expect(driver.runToEnd().status.reason).toBe(
      "Canary p99 latency 400 ms over the last 30 s is 2× stable's 200 ms, above the limit of 1.5×",
    );
  });

  it("stays paused until a person resumes", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }]) });
    const paused = driver.runUntil((result) => result.state.phase === "paused");
    expect(paused.status).toMatchObject({ message: "Paused until a person resumes", step: { index: 1, total: 3 } });
    for (let i = 0; i < 30; i++) expect(driver.step().actions).toEqual([]);
    expect(driver.world.traffic).toEqual({ v1: 80, v2: 20 });

    driver.world.signal("resume");
    expect(driver.runToEnd().state.phase).toBe("succeeded");
    expect(driver.trafficHistory()).toEqual([{ v1: 100 }, { v1: 80, v2: 20 }, { v1: 40, v2: 60 }, { v2: 100 }]);
  });

  it("skips the remaining steps on promoteNow", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }, { analysis }]) });
    driver.runUntil((result) => result.state.phase === "paused");
    driver.world.signal("promoteNow", "carol");
    expect(driver.runToEnd().state.phase).toBe("succeeded");
    expect(driver.trafficHistory()).toEqual([{ v1: 100 }, { v1: 90, v2: 10 }, { v2: 100 }]);
  });

  it("rolls back when a person aborts", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 50 }, { pause: {} }]) });
    driver.runUntil((result) => result.state.phase === "paused");
    driver.world.signal("abort", "dave");
    const final = driver.runToEnd();

    expect(final.status).toMatchObject({ phase: "aborted", reason: "Aborted by dave", message: "Aborted by dave; v1 serves again" });
    expect(final.actions).toEqual([{ type: "markFailed", reason: "Aborted by dave" }]);
    expect(driver.world.traffic).toEqual({ v1: 100 });
    expect(versions(driver)).toEqual(["v1", "v1", "v1", "v1"]);
  });

  it("scales the canary down after lowering its weight", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 75 }, { setWeight: 25 }, { pause: {} }]) });
    driver.runUntil((result) => result.state.phase === "paused");
    expect(driver.world.traffic).toEqual({ v1: 75, v2: 25 });
    expect(versions(driver).filter((version) => version === "v2")).toHaveLength(1);
  });

  it("skips the steps of a first deployment and promotes it at once, as Argo Rollouts does on a Rollout's creation", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 20 }, { pause: { durationSeconds: 10 } }]), stable: null });
    const final = driver.runToEnd();
    expect(final.state.phase).toBe("succeeded");
    expect(driver.trafficHistory()).toEqual([{}, { v2: 100 }]);
    // No pause was waited out, and the history says why.
    expect(driver.actions().some((action) => action.type === "scheduleWake")).toBe(false);
    expect(driver.history[0].result.status.message).toBe(`${FIRST_DEPLOYMENT_NOTE}; promoting v2: starting instances`);
  });

  it("finishes a first deployment with an analysis step even though no request ever arrives", () => {
    for (const steps of [[{ analysis }], [{ setWeight: 20 }, { analysis }, { setWeight: 50 }, { analysis: { ...analysis, maxP99RatioToStable: 1.5 } }]]) {
      const driver = new Driver({ spec: canary(steps), stable: null, requestsPerSecond: 0 });
      const final = driver.runToEnd();
      expect(final.state.phase).toBe("succeeded");
      expect(driver.history.every((entry) => entry.result.analysis === undefined)).toBe(true);
      expect(versions(driver)).toEqual(["v2", "v2", "v2", "v2"]);
    }
  });

  it("still rolls a first deployment back when it fails its health check", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 20 }, { analysis }]), stable: null, failingProbes: { v2: Infinity } });
    const final = driver.runToEnd();
    expect(final.state.phase).toBe("failed");
    expect(final.status.reason).toMatch(/^Instance v2-\d+ of v2 failed its health check/);
    expect(driver.world.instances).toEqual([]);
  });

  it("fails an analysis on the pass that enters its step when the window already shows the breach", () => {
    const driver = new Driver({ spec: canary([{ setWeight: 25 }, { analysis }]), errorRate: { v2: 0.5 } });
    const entering = driver.runUntil((result) => result.analysis !== undefined);
    expect(entering.state.phase).toBe("rolling_back");
    expect(entering.analysis).toMatchObject({ step: 1, verdict: "fail" });
    expect(entering.actions.map((action) => action.type)).toEqual(["rollback", "switchTraffic"]);
  });
});
