import { describe, expect, it } from "vitest";
import { Driver, START } from "./test-world";
import type { Action } from "./types";

const spec = { strategy: "blue-green", replicas: 2, scaleDownDelaySeconds: 60 } as const;
const versions = (driver: Driver) => driver.world.instances.map((instance) => instance.version);

describe("blue-green deployment", () => {
  it("starts green beside blue, switches all traffic at once, then removes blue", () => {
    const driver = new Driver({ spec, failingProbes: { v2: 1 } });
    const final = driver.runToEnd();

    expect(final.state.phase).toBe("succeeded");
    expect(driver.trafficHistory()).toEqual([{ v1: 100 }, { v2: 100 }]);
    expect(versions(driver)).toEqual(["v2", "v2"]);
    expect(driver.actions().map((action) => action.type)).toEqual([
      "startInstances",
      "switchTraffic",
      "scheduleWake",
      "stopInstances",
      "markSucceeded",
    ]);
    expect(driver.actions()[0]).toEqual({ type: "startInstances", version: "v2", count: 2 });
  });

  it("sends no traffic to green before every green instance is ready", () => {
    const driver = new Driver({ spec: { ...spec, replicas: 3 }, failingProbes: { v2: 2 } });
    driver.runToEnd();
    const switched = driver.history.find((entry) => entry.result.actions.some((action) => action.type === "switchTraffic"));
    const greens = switched?.observation.instances.filter((instance) => instance.version === "v2");
    expect(greens?.map((instance) => instance.health.ready)).toEqual([true, true, true]);
  });

  it("keeps blue warm until the scale-down delay passes", () => {
    const driver = new Driver({ spec });
    driver.runToEnd();
    const switchedAt = driver.history.find((entry) => entry.result.state.switchedAt !== null)!.result.state.switchedAt!;
    const wake = driver.actions().find((action): action is Extract<Action, { type: "scheduleWake" }> => action.type === "scheduleWake");
    expect(wake?.at).toBe(switchedAt + 60_000);

    const stops = driver.history.filter((entry) => entry.result.actions.some((action) => action.type === "stopInstances"));
    expect(stops).toHaveLength(1);
    expect(stops[0].observation.observedAt).toBeGreaterThanOrEqual(switchedAt + 60_000);
    for (const entry of driver.history.filter((entry) => entry.observation.observedAt < switchedAt + 60_000)) {
      expect(entry.observation.instances.filter((instance) => instance.version === "v1")).toHaveLength(2);
    }
  });

  it("keeps traffic on blue and removes green when green fails its health check", () => {
    const driver = new Driver({ spec, failingProbes: { v2: Infinity } });
    const final = driver.runToEnd();

    expect(final.state.phase).toBe("rolled_back");
    expect(final.status.reason).toMatch(/^Instance v2-\d+ of v2 failed its health check/);
    expect(driver.trafficHistory()).toEqual([{ v1: 100 }]);
    expect(versions(driver)).toEqual(["v1", "v1"]);
  });

  it("switches straight back to blue when green fails while blue is warm", () => {
    const driver = new Driver({ spec });
    driver.runUntil((result) => result.state.switchedAt !== null);
    for (const instance of driver.world.instances) if (instance.version === "v2") instance.status = "exited";

    const rollback = driver.step();
    expect(rollback.actions.slice(0, 2)).toEqual([
      { type: "rollback", reason: expect.stringMatching(/^Instance v2-\d+ of v2 exited$/) },
      { type: "switchTraffic", to: "v1" },
    ]);
    expect(driver.runToEnd().state.phase).toBe("rolled_back");
    expect(driver.world.traffic).toEqual({ v1: 100 });
    expect(versions(driver)).toEqual(["v1", "v1"]);
  });

  it("runs the preview checks and smoke-test job once before switching", () => {
    const previewChecks = [{ path: "/ready" }];
    const driver = new Driver({ spec: { ...spec, previewChecks, smokeTestJob: "e2e" } });
    expect(driver.runToEnd().state.phase).toBe("succeeded");
    const smoke = driver.actions().filter((action) => action.type === "runSmokeTest");
    expect(smoke).toEqual([{ type: "runSmokeTest", version: "v2", checks: [{ path: "/ready", expectedStatus: 200 }], job: "e2e" }]);
  });

  it("rolls back without touching traffic when the smoke test fails", () => {
    const driver = new Driver({
      spec: { ...spec, smokeTestJob: "e2e" },
      smokeTest: { status: "failed", detail: "GET /checkout returned 500" },
    });
    const final = driver.runToEnd();
    expect(final.state.phase).toBe("rolled_back");
    expect(final.status.reason).toBe("Smoke test of v2 failed: GET /checkout returned 500");
    expect(driver.trafficHistory()).toEqual([{ v1: 100 }]);
    expect(versions(driver)).toEqual(["v1", "v1"]);
  });

  it("waits for a person to promote when autoPromote is off", () => {
    const driver = new Driver({ spec: { ...spec, autoPromote: false } });
    const gate = driver.runUntil((result) => result.state.phase === "paused");
    expect(gate.status.message).toBe("v2 passed its checks; waiting for a person to promote it");
    for (let i = 0; i < 10; i++) expect(driver.step().actions).toEqual([]);
    expect(driver.world.traffic).toEqual({ v1: 100 });

    driver.world.signal("resume");
    expect(driver.step().actions).toEqual([{ type: "switchTraffic", to: "v2" }]);
    expect(driver.runToEnd().state.phase).toBe("succeeded");
  });

  it("skips the smoke test and the promotion gate on promoteNow, never green's readiness", () => {
    const driver = new Driver({ spec: { ...spec, autoPromote: false, smokeTestJob: "e2e" }, failingProbes: { v2: 2 } });
    driver.world.signal("promoteNow", "carol");
    const final = driver.runToEnd();
    expect(final.state.phase).toBe("succeeded");
    expect(driver.actions().some((action) => action.type === "runSmokeTest")).toBe(false);
    const switched = driver.history.find((entry) => entry.result.actions.some((action) => action.type === "switchTraffic"));
    expect(switched?.observation.instances.filter((instance) => instance.version === "v2" && instance.health.ready)).toHaveLength(2);
  });

  it("removes blue at once when there is no delay", () => {
    const driver = new Driver({ spec: { ...spec, scaleDownDelaySeconds: 0 } });
    driver.runToEnd();
    expect(driver.actions().map((action) => action.type)).not.toContain("scheduleWake");
    expect(driver.world.now - START).toBeLessThan(60_000);
  });
});
