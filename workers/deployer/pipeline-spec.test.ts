import { describe, expect, it } from "vitest";
import { parsePipeline } from "@/server/pipeline";
import { resolveDeploymentSpec } from "@/server/services/targets-config";
import { deploymentSpecSchema } from "@/server/deploy";
import { pipelineOverrides, seconds } from "./pipeline-spec";

function deployOf(yaml: string) {
  const parsed = parsePipeline(yaml);
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join("; "));
  return parsed.pipeline.jobs.ship.deploy!;
}

const defaults = deploymentSpecSchema.parse({ strategy: "rolling", replicas: 3, healthCheck: { path: "/ready", timeoutSeconds: 4 } });

describe("a pipeline's deploy block as deployment settings", () => {
  it("reads canary steps written as Argo Rollouts does, durations included", () => {
    const deploy = deployOf(`
on: push
jobs:
  ship:
    environment: production
    deploy:
      image: registry.local/app:1
      strategy:
        canary:
          steps:
            - set-weight: 20
            - pause: { duration: 5m }
            - analysis: { window: 1m, min-requests: 50, max-error-rate: 0.01 }
            - pause:
      health-check: { path: /healthz, interval-seconds: 2 }
`);
    const spec = resolveDeploymentSpec(defaults, pipelineOverrides(deploy));
    expect(spec).toMatchObject({
      strategy: "canary",
      replicas: 3,
      steps: [{ setWeight: 20 }, { pause: { durationSeconds: 300 } }, { analysis: { windowSeconds: 60, minRequests: 50, maxErrorRate: 0.01 } }, { pause: {} }],
      // The environment's health check, with what the pipeline says on top.
      healthCheck: { path: "/healthz", intervalSeconds: 2, timeoutSeconds: 4, expectedStatus: 200 },
    });
  });

  it("reads rolling and blue-green settings in kebab-case", () => {
    const rolling = deployOf("on: push\njobs:\n  ship:\n    environment: prod\n    deploy:\n      artifact: site\n      strategy: { rolling: { max-surge: 2, max-unavailable: '0%' } }\n");
    expect(resolveDeploymentSpec(defaults, pipelineOverrides(rolling))).toMatchObject({ strategy: "rolling", maxSurge: 2, maxUnavailable: "0%", replicas: 3 });
    const blueGreen = deployOf(
      "on: push\njobs:\n  ship:\n    environment: prod\n    deploy:\n      image: a\n      strategy: { blue-green: { auto-promote: false, scale-down-delay: 2m, preview-checks: [{ path: /, expected-status: 200 }], warm-up: { path: /, requests: 50 } } }\n",
    );
    expect(resolveDeploymentSpec(defaults, pipelineOverrides(blueGreen))).toMatchObject({
      strategy: "blue-green",
      autoPromote: false,
      scaleDownDelaySeconds: 120,
      previewChecks: [{ path: "/", expectedStatus: 200 }],
      warmUp: { path: "/", requests: 50 },
    });
  });

  it("explains settings the spec refuses", () => {
    const bad = deployOf("on: push\njobs:\n  ship:\n    environment: prod\n    deploy:\n      image: a\n      strategy: { rolling: { max-surge: lots } }\n");
    expect(() => resolveDeploymentSpec(defaults, pipelineOverrides(bad))).toThrow(/maxSurge must be a whole number of instances \(2\) or a percentage of replicas/);
  });

  it("reads durations in seconds, minutes and hours", () => {
    expect([seconds("90s"), seconds("5m"), seconds("1h30m"), seconds(45), seconds("45"), seconds("soon")]).toEqual([90, 300, 5400, 45, 45, "soon"]);
  });
});
