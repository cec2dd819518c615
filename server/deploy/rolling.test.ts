import { describe, expect, it } from "vitest";
import { minReady, resolveRollingLimits } from "./arithmetic";
import { Driver } from "./test-world";

describe("rolling deployment", () => {
  it.each([
    // replicas, maxSurge, maxUnavailable, failed probes before a new instance is ready
    [10, "25%", "25%", 2],
    [4, "25%", "25%", 0],
    [3, 0, 1, 1],
    [4, 1, 0, 2],
    [5, "50%", "0%", 1],
    [1, "25%", "25%", 2],
  ])("replaces %i instances (surge %s, unavailable %s) without dropping below replicas - maxUnavailable ready", (replicas, maxSurge, maxUnavailable, failing) => {
    const driver = new Driver({ spec: { strategy: "rolling", replicas, maxSurge, maxUnavailable }, failingProbes: { v2: failing } });
    const limits = resolveRollingLimits(replicas, maxSurge, maxUnavailable);

    let final;
    do {
      final = driver.step();
      // Measured after the actions ran, before anything had time to become ready.
      expect(driver.world.readyCount()).toBeGreaterThanOrEqual(minReady(replicas, limits));
      expect(driver.world.instances.length).toBeLessThanOrEqual(replicas + limits.maxSurge);
    } while (final.state.phase === "progressing" && driver.history.length < 200);

    expect(final.state.phase).toBe("succeeded");
    expect(final.actions).toEqual([{ type: "markSucceeded" }]);
    expect(driver.world.instances.map((instance) => instance.version)).toEqual(Array(replicas).fill("v2"));
    expect(driver.world.traffic).toEqual({ v2: 100 });
  });

  it("shifts traffic in proportion to the ready instances of each version", () => {
    const driver = new Driver({ spec: { strategy: "rolling", replicas: 4, maxSurge: 1, maxUnavailable: 0 } });
    driver.runToEnd();
    expect(driver.trafficHistory()).toEqual([{ v1: 100 }, { v1: 75, v2: 25 }, { v1: 50, v2: 50 }, { v1: 25, v2: 75 }, { v2: 100 }]);
  });

  it("rolls back when a new instance never becomes ready", () => {
    const driver = new Driver({ spec: { strategy: "rolling", replicas: 4 }, failingProbes: { v2: Infinity } });
    const final = driver.runToEnd();

    expect(final.state.phase).toBe("rolled_back");
    expect(final.status.reason).toMatch(/^Instance v2-\d+ of v2 failed its health check \(GET \/ expecting 200\) 3 times in a row$/);
    expect(final.status.message).toBe(`Rolled back to v1: ${final.status.reason}`);
    expect(driver.world.instances.map((instance) => instance.version)).toEqual(["v1", "v1", "v1", "v1"]);
    expect(driver.world.traffic).toEqual({ v1: 100 });
    const kinds = driver.actions().map((action) => action.type);
    expect(kinds.filter((kind) => kind === "rollback")).toHaveLength(1);
    expect(kinds.at(-1)).toBe("markFailed");
  });

  it("holds still while a person has paused it and carries on when resumed", () => {
    const driver = new Driver({ spec: { strategy: "rolling", replicas: 4, maxSurge: 1, maxUnavailable: 0 } });
    driver.runUntil(() => driver.world.traffic.v2 === 25);
    driver.world.signal("pause", "bob");
    const paused = driver.step();
    expect(paused.status).toMatchObject({ phase: "paused", message: "Paused by bob" });

    const instances = JSON.stringify(driver.world.instances.map((instance) => instance.id));
    for (let i = 0; i < 10; i++) expect(driver.step().actions).toEqual([]);
    expect(JSON.stringify(driver.world.instances.map((instance) => instance.id))).toBe(instances);

    driver.world.signal("resume", "bob");
    expect(driver.runToEnd().state.phase).toBe("succeeded");
  });
});
