import { describe, expect, it } from "vitest";
import { z } from "zod";
import { deploymentSpecSchema } from "./spec";

function errorOf(input: unknown): string {
  const parsed = deploymentSpecSchema.safeParse(input);
  if (parsed.success) throw new Error("expected the spec to be rejected");
  return z.prettifyError(parsed.error);
}

describe("deploymentSpecSchema", () => {
  it("fills in Kubernetes' rolling defaults and a health check", () => {
    expect(deploymentSpecSchema.parse({ strategy: "rolling" })).toEqual({
      strategy: "rolling",
      replicas: 1,
      maxSurge: "25%",
      maxUnavailable: "25%",
      healthCheck: {
        path: "/",
        expectedStatus: 200,
        initialDelaySeconds: 0,
        intervalSeconds: 5,
        timeoutSeconds: 2,
        failureThreshold: 3,
        successThreshold: 1,
      },
      warmUp: { requests: 200 },
    });
  });

  it("warms new instances up on the path given, or the health check's, and says what to fix in a bad warm-up", () => {
    expect(deploymentSpecSchema.parse({ strategy: "blue-green", warmUp: { path: "/", requests: 50 } }).warmUp).toEqual({ path: "/", requests: 50 });
    expect(deploymentSpecSchema.parse({ strategy: "canary", steps: [{ setWeight: 50 }], warmUp: { requests: 0 } }).warmUp).toEqual({ requests: 0 });
    expect(errorOf({ strategy: "rolling", warmUp: { path: "home" } })).toContain('warmUp.path must start with "/"');
    expect(errorOf({ strategy: "rolling", warmUp: { requests: -1 } })).toContain("warmUp.requests must be 0 (no warm-up) or more");
    expect(errorOf({ strategy: "rolling", warmUp: { requests: 2.5 } })).toContain("warmUp.requests must be a whole number");
    expect(errorOf({ strategy: "rolling", warmUp: { paths: ["/"] } })).toContain("paths");
  });

  it("keeps given health-check fields and defaults the rest", () => {
    const spec = deploymentSpecSchema.parse({ strategy: "rolling", healthCheck: { path: "/healthz", failureThreshold: 5 } });
    expect(spec.healthCheck).toMatchObject({ path: "/healthz", failureThreshold: 5, expectedStatus: 200, intervalSeconds: 5 });
  });

  it("fills in blue-green defaults: auto promotion and a warm blue for 30 s", () => {
    expect(deploymentSpecSchema.parse({ strategy: "blue-green", replicas: 2 })).toMatchObject({
      replicas: 2,
      autoPromote: true,
      previewChecks: [],
      scaleDownDelaySeconds: 30,
    });
  });

  it("reads canary steps, a bare `pause:` as waiting for a person, and analysis defaults", () => {
    const spec = deploymentSpecSchema.parse({
      strategy: "canary",
      replicas: 4,
      steps: [{ setWeight: 20 }, { pause: null }, { pause: { durationSeconds: 60 } }, { analysis: { maxErrorRate: 0.01 } }],
    });
    expect(spec.strategy === "canary" && spec.steps).toEqual([
      { setWeight: 20 },
      { pause: {} },
      { pause: { durationSeconds: 60 } },
      { analysis: { windowSeconds: 60, minRequests: 20, maxErrorRate: 0.01 } },
    ]);
  });

  it.each([
    [{ strategy: "recreate" }, 'strategy must be one of "rolling", "blue-green" or "canary"'],
    [{ strategy: "rolling", maxSurge: 0, maxUnavailable: "0%" }, "maxSurge and maxUnavailable cannot both be 0"],
    [{ strategy: "rolling", maxSurge: "a lot" }, 'maxSurge must be a whole number of instances (2) or a percentage of replicas ("25%")'],
    [{ strategy: "rolling", replicas: 0 }, "replicas must be at least 1"],
    [{ strategy: "rolling", replicas: 2.5 }, "replicas must be a whole number"],
    [{ strategy: "rolling", healthCheck: { path: "healthz" } }, 'healthCheck.path must start with "/"'],
    [{ strategy: "rolling", healthCheck: { expectedStatus: 99 } }, "expectedStatus must be an HTTP status code"],
    [{ strategy: "rolling", extra: true }, 'Unrecognized key: "extra"'],
    [{ strategy: "blue-green", scaleDownDelaySeconds: 1.5 }, "scaleDownDelaySeconds must be a whole number of seconds"],
    [{ strategy: "blue-green", previewChecks: [{ path: "/ready", expectedStatus: 99 }] }, "expectedStatus must be an HTTP status code"],
    [{ strategy: "canary", steps: [] }, "a canary needs at least one step"],
    [{ strategy: "canary", steps: [{ setWeight: 150 }] }, "setWeight must be between 0 and 100"],
    [{ strategy: "canary", steps: [{ wait: 10 }] }, "each canary step is exactly one of setWeight, pause or analysis"],
    [{ strategy: "canary", steps: [{ setWeight: 10, pause: {} }] }, "each canary step is exactly one of setWeight, pause or analysis"],
    [{ strategy: "canary", steps: [{ analysis: { maxErrorRate: 5 } }] }, "maxErrorRate is a fraction between 0 and 1 (0.05 = 5%)"],
    [{ strategy: "canary", steps: [{ analysis: { maxP99RatioToStable: 0.5 } }] }, "maxP99RatioToStable must be at least 1"],
    [{ strategy: "canary", steps: [{ pause: { durationSeconds: 0 } }] }, "durationSeconds must be at least 1"],
  ])("rejects %j with a message a person can act on", (input, message) => {
    expect(errorOf(input)).toContain(message);
  });

  it("says where the problem is", () => {
    expect(errorOf({ strategy: "canary", steps: [{ setWeight: 10 }, { setWeight: 101 }] })).toContain("at steps[1].setWeight");
  });
});
