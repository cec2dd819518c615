import { describe, expect, it } from "vitest";
import { deploymentSpecSchema, type TargetInstance } from "@/server/deploy";
import type { DeployTarget, ProbeResult } from "@/workers/targets/types";
import { Prober } from "./prober";

const { healthCheck: check, warmUp } = deploymentSpecSchema.parse({ strategy: "rolling", healthCheck: { path: "/healthz", intervalSeconds: 1 } });
const instance: TargetInstance = { id: "i-1", version: "2.0.0", status: "running" };

/** A target whose instance always passes its probes; what happened to it, in order. */
function fakeTarget(warmUpAnswer: ProbeResult | null) {
  const calls: string[] = [];
  const target = {
    probe: async () => (calls.push("probe"), { status: 200, refused: false }),
    warmUp: async () => (calls.push("warm-up"), warmUpAnswer),
    admit: async () => void calls.push("admit"),
  } as unknown as DeployTarget;
  return { target, calls };
}

async function until(condition: () => boolean) {
  for (let i = 0; i < 300 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe("the prober", () => {
  it("warms a new instance up before the router sends it traffic", async () => {
    const { target, calls } = fakeTarget(null);
    const prober = new Prober(target, check, warmUp, () => undefined, (message) => calls.push(message));
    prober.track([instance]);
    await until(() => calls.includes("admit"));
    prober.stopAll();
    expect(calls).toEqual(["probe", "warm-up", "admit"]);
    expect(prober.tally("i-1").ready).toBe(true);
  });

  it("keeps an instance out of traffic when a warm-up request fails, and counts it as a failed probe", async () => {
    const { target, calls } = fakeTarget({ status: 500, refused: false });
    const prober = new Prober(target, check, warmUp, () => undefined, (message) => calls.push(message));
    prober.track([instance]);
    await until(() => calls.filter((c) => c === "warm-up").length >= 2);
    prober.stopAll();
    expect(calls).not.toContain("admit");
    // Every passing probe was followed by a failed warm-up, which counted as a failure.
    expect(prober.tally("i-1")).toMatchObject({ ready: false, consecutiveFailures: calls.filter((c) => c === "warm-up").length });
  });
});
