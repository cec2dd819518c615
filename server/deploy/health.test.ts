import { describe, expect, it } from "vitest";
import { describeUnhealthy, instanceHealth, probePassed, recordProbe, UNPROBED } from "./health";
import { healthCheckSchema } from "./spec";
import type { HealthTally, ObservedInstance } from "./types";

const check = healthCheckSchema.parse({ path: "/healthz", failureThreshold: 3, successThreshold: 2 });

function tallyOf(probes: string): HealthTally {
  return [...probes].reduce((tally, probe) => recordProbe(tally, probe === "+", check), UNPROBED);
}

function instance(health: HealthTally, status: ObservedInstance["status"] = "running"): ObservedInstance {
  return { id: "i-1", version: "v2", status, health };
}

describe("health tally", () => {
  it.each([
    // probes (+ pass, - fail) -> successes, failures, ready, health  (successThreshold 2, failureThreshold 3)
    ["", 0, 0, false, "starting"],
    ["+", 1, 0, false, "starting"],
    ["++", 2, 0, true, "ready"],
    ["--", 0, 2, false, "starting"],
    ["---", 0, 3, false, "unhealthy"],
    ["--++", 2, 0, true, "ready"],
    // Ready is sticky through a blip shorter than the failure threshold.
    ["++-", 0, 1, true, "ready"],
    ["++--", 0, 2, true, "ready"],
    ["++---", 0, 3, false, "unhealthy"],
    // After failing it needs successThreshold passes again.
    ["++---+", 1, 0, false, "starting"],
    ["+-+-+-", 0, 1, false, "starting"],
  ])("probes %j -> %i successes, %i failures, ready %s, %s", (probes, successes, failures, ready, health) => {
    const tally = tallyOf(probes);
    expect(tally).toEqual({ consecutiveSuccesses: successes, consecutiveFailures: failures, ready });
    expect(instanceHealth(instance(tally), check)).toBe(health);
  });

  it("counts an exited instance as unhealthy even if it was ready", () => {
    expect(instanceHealth(instance(tallyOf("++"), "exited"), check)).toBe("unhealthy");
  });

  it.each([
    [200, true],
    [204, false],
    [503, false],
    [null, false],
  ])("a probe answered %s passes: %s", (status, passed) => {
    expect(probePassed(status, check)).toBe(passed);
  });

  it("explains an unhealthy instance in a sentence", () => {
    expect(describeUnhealthy(instance(tallyOf("---")), check)).toBe(
      "Instance i-1 of v2 failed its health check (GET /healthz expecting 200) 3 times in a row",
    );
    expect(describeUnhealthy(instance(tallyOf(""), "exited"), check)).toBe("Instance i-1 of v2 exited");
  });
});
