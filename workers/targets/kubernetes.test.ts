import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { deploymentSpecSchema } from "@/server/deploy";
import { createKubernetesTarget } from "./kubernetes";
import { LABEL, versionHash } from "./kubernetes-objects";
import { FakeKubeApps } from "./testing/fake-kube-apps";
import type { DeployTarget } from "./types";

/**
 * The kubernetes target against a fake API server on 127.0.0.1 answering with recorded API
 * objects (no cluster can run here). What is checked is what the target asks of the API:
 * the objects it creates, the patches it sends, and how it reads the answers back.
 */
const healthCheck = deploymentSpecSchema.parse({ strategy: "rolling", healthCheck: { path: "/healthz" } }).healthCheck;
const config = { kind: "kubernetes" as const, namespace: "shop", deployment: "web", kubeconfigSecret: "KUBECONFIG", port: 8080 };
let api: FakeKubeApps;
let target: DeployTarget;

beforeEach(async () => {
  api = await new FakeKubeApps("shop").start();
  const ctx = { db: null as unknown as Database, projectId: "p", environmentId: "e", deploymentId: "d-1", dataDir: "/tmp", routerUrl: "", healthCheck };
  target = createKubernetesTarget(ctx, config, api.kubeconfig());
  await target.prepare();
});

afterEach(async () => {
  await api.close();
});

const v1 = { version: "1.0.1", image: "registry.example.com/web@sha256:aaa", releaseId: "r1" };
const v2 = { version: "1.0.2", image: "registry.example.com/web@sha256:bbb", releaseId: "r2" };

async function ready(id: string) {
  for (let i = 0; i < 100; i++) {
    if ((await target.probe(id, healthCheck)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${id} never became Ready`);
}

describe("the kubernetes target", () => {
  it("runs each version as its own Deployment, its variables in a Secret and the health check as readiness probe", async () => {
    api.readyAfterMs = 60_000;
    const first = await target.startInstance(v1, { API_KEY: "s3cret" });
    const second = await target.startInstance(v1, { API_KEY: "s3cret" });
    const deployment = api.deployments.get(`web-${versionHash("1.0.1")}`)!;
    expect(deployment.spec.replicas).toBe(2);
    const container = deployment.spec.template.spec.containers[0];
    expect(container).toMatchObject({ image: v1.image, envFrom: [{ secretRef: { name: `web-${versionHash("1.0.1")}-env` } }], readinessProbe: { httpGet: { path: "/healthz", port: 8080 } } });
    expect(JSON.stringify(deployment)).not.toContain("s3cret");
    expect(api.secrets.get(`web-${versionHash("1.0.1")}-env`)?.stringData).toEqual({ API_KEY: "s3cret" });
    expect((await target.listInstances()).map((i) => [i.id, i.version, i.status])).toEqual([
      [first, "1.0.1", "running"],
      [second, "1.0.1", "running"],
    ]);
    // Pending counts as starting (like a refused connection), then the Pod's Ready condition is the check.
    expect(await target.probe(first, healthCheck)).toMatchObject({ status: null, refused: true });
    api.markReady(first);
    await ready(first);
  });

  it("switches a Service's selector for one version, and reports the split in force", async () => {
    const a = await target.startInstance(v1, {});
    const b = await target.startInstance(v2, {});
    await ready(a);
    await ready(b);
    await target.setTraffic({ "1.0.1": 100 });
    expect(api.services.get("web")!.spec.selector).toEqual({ [LABEL.name]: "web", [LABEL.managedBy]: "slipway", [LABEL.version]: versionHash("1.0.1") });
    expect(await target.getTraffic()).toEqual({ "1.0.1": 100 });
    await target.setTraffic({ "1.0.2": 100 });
    expect(await target.getTraffic()).toEqual({ "1.0.2": 100 });
    // Without an HTTPRoute a split is the ready replicas' ratio: the Service selects both versions.
    await target.setTraffic({ "1.0.1": 50, "1.0.2": 50 });
    expect(api.services.get("web")!.spec.selector).toEqual({ [LABEL.name]: "web", [LABEL.managedBy]: "slipway" });
    expect(await target.getTraffic()).toEqual({ "1.0.1": 50, "1.0.2": 50 });
    expect(api.calls.filter((c) => c.method === "PATCH").every((c) => c.contentType === "application/merge-patch+json")).toBe(true);
  });

  it("weights two Deployments through the HTTPRoute when the cluster has one", async () => {
    api.addHttpRoute("web");
    await target.startInstance(v1, {});
    await target.startInstance(v2, {});
    await target.setTraffic({ "1.0.1": 80, "1.0.2": 20 });
    const refs = api.httproutes.get("web")!.spec.rules[0].backendRefs;
    expect(refs).toEqual([
      { group: "", kind: "Service", name: `web-${versionHash("1.0.1")}`, port: 8080, weight: 80 },
      { group: "", kind: "Service", name: `web-${versionHash("1.0.2")}`, port: 8080, weight: 20 },
    ]);
    expect(api.services.has(`web-${versionHash("1.0.2")}`)).toBe(true);
    expect(await target.getTraffic()).toEqual({ "1.0.1": 80, "1.0.2": 20 });
  });

  it("stops exactly the Pod asked for by making it cheapest to delete, and removes a version with its last Pod", async () => {
    const keep = await target.startInstance(v1, {});
    const drop = await target.startInstance(v1, {});
    await target.stopInstance(drop, { drain: true });
    expect((await target.listInstances()).map((i) => i.id)).toEqual([keep]);
    expect(api.deployments.get(`web-${versionHash("1.0.1")}`)!.spec.replicas).toBe(1);
    await target.stopInstance(keep, { drain: true });
    expect(await target.listInstances()).toEqual([]);
    expect(api.deployments.size).toBe(0);
    expect(api.secrets.size).toBe(0);
    // Gone is gone: stopping it again is a no-op.
    await target.stopInstance(keep, { drain: true });
  });

  it("reports a Pod that never becomes Ready as failing its check, and tears everything down", async () => {
    const id = await target.startInstance({ ...v2, image: "registry.example.com/web:unready" }, {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await target.probe(id, healthCheck)).toMatchObject({ status: 503, refused: false });
    await target.teardown();
    expect(api.deployments.size + api.services.size + api.secrets.size).toBe(0);
  });
});
