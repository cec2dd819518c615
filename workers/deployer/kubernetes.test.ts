import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@/db/testing/database";
import { requestDeployment } from "@/server/services/deployments";
import { createRelease } from "@/server/services/releases";
import { setSecret } from "@/server/services/secrets";
import { setTargetSettings } from "@/server/services/targets-config";
import { actorFor, createProjectAs } from "@/server/testing/fixtures";
import { LABEL, versionHash } from "@/workers/targets/kubernetes-objects";
import { FakeKubeApps } from "@/workers/targets/testing/fake-kube-apps";
import { DeployWorld, waitForDeployment } from "./testing/harness";

/**
 * A whole deployment on the kubernetes target: the worker reads the kubeconfig from the
 * environment's secret and drives a fake API server (recorded responses; no cluster here).
 */
const secretsKey = randomBytes(32);
let world: DeployWorld;
let api: FakeKubeApps;

beforeAll(async () => {
  world = await new DeployWorld(await createTestDatabase()).start({ secretsKey });
  api = await new FakeKubeApps("shop").start();
});

afterAll(async () => {
  await world.stop();
  await world.t.close();
  await api.close();
});

describe("deploying to Kubernetes", { timeout: 60_000 }, () => {
  it("switches a blue-green deployment by the Service selector and removes the old version's Deployment", async () => {
    const actor = actorFor(world.owner);
    const project = await createProjectAs(world.db, world.owner);
    const [env] = await world.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id) });
    await setSecret(world.db, secretsKey, actor, { projectId: project.id, environmentId: env.id, name: "KUBECONFIG", value: api.kubeconfig() });
    await setSecret(world.db, secretsKey, actor, { projectId: project.id, name: "DATABASE_PASSWORD", value: "hunter2" });
    await setTargetSettings(world.db, actor, {
      projectId: project.id,
      environmentId: env.id,
      settings: {
        target: { kind: "kubernetes", namespace: "shop", deployment: "web", kubeconfigSecret: "KUBECONFIG" },
        strategy: { strategy: "blue-green", replicas: 2, scaleDownDelaySeconds: 0, healthCheck: { path: "/healthz", intervalSeconds: 1 } },
      },
    });
    const release = (version: string) =>
      createRelease(world.db, actor, { projectId: project.id, version, image: "registry.example.com/web:" + version, imageDigest: `registry.example.com/web@sha256:${version.replace(/\./g, "").padStart(64, "0")}`, commitSha: "c".repeat(40) });
    for (const version of ["1.0.1", "1.0.2"]) {
      const deployment = await requestDeployment(world.db, actor, { projectId: project.id, environmentId: env.id, releaseId: (await release(version)).id });
      expect(await waitForDeployment(world.db, deployment.id)).toMatchObject({ phase: "succeeded" });
    }
    expect(api.services.get("web")!.spec.selector[LABEL.version]).toBe(versionHash("1.0.2"));
    expect([...api.deployments.keys()]).toEqual([`web-${versionHash("1.0.2")}`]);
    const deployment = api.deployments.get(`web-${versionHash("1.0.2")}`)!;
    expect(deployment.spec.template.spec.containers[0].image).toBe(`registry.example.com/web@sha256:${"102".padStart(64, "0")}`);
    // Secrets reach the Pods through the Secret; the kubeconfig does not.
    expect(api.secrets.get(`web-${versionHash("1.0.2")}-env`)!.stringData).toEqual({ DATABASE_PASSWORD: "hunter2" });
  });

  it("refuses canary analysis, which needs the router's metrics", async () => {
    const actor = actorFor(world.owner);
    const project = await createProjectAs(world.db, world.owner);
    const [env] = await world.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id) });
    await expect(
      setTargetSettings(world.db, actor, {
        projectId: project.id,
        environmentId: env.id,
        settings: { target: { kind: "kubernetes", namespace: "shop", deployment: "web", kubeconfigSecret: "KUBECONFIG" }, strategy: { strategy: "canary", steps: [{ setWeight: 10 }, { analysis: {} }] } },
      }),
    ).rejects.toThrow(/Canary analysis steps need the router's metrics/);
  });
});
