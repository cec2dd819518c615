import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import type { HealthCheck, HealthTally, TargetInstance, TrafficWeights, VersionMetrics } from "@/server/deploy";
import type { KubernetesTargetConfig } from "@/server/schemas/target";
import {
  ANNOTATION,
  backendRefs,
  deploymentManifest,
  envSecretManifest,
  envSecretName,
  LABEL,
  managedSelector,
  selectorFor,
  serviceManifest,
  versionHash,
  versionName,
} from "./kubernetes-objects";
import { sleep, waitReadyByProbing } from "./probe";
import type { DeployTarget, ProbeResult, ReleaseRef, TargetContext } from "./types";

const GATEWAY = { group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes" };
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
/** How long a scaled-up Deployment may take to show its new Pod. */
const POD_APPEAR_TIMEOUT_MS = 60_000;
/** How long a stopped Pod may take to go (its grace period is 30 s by default). */
const POD_GONE_TIMEOUT_MS = 120_000;

/**
 * The Target on a Kubernetes cluster, through @kubernetes/client-node's AppsV1, CoreV1 and
 * CustomObjects APIs. Instances are Pods of one Deployment per version; starting one scales
 * its Deployment up, stopping one marks that Pod cheapest to delete and scales down, so the
 * ReplicaSet removes exactly it (Kubernetes takes it out of the Service's endpoints first,
 * which is the drain). Traffic: one version alone is a Service selector switch (blue-green);
 * a split is HTTPRoute weights when the cluster has the HTTPRoute `<deployment>`, else the
 * ratio of ready replicas, which the strategies size to the weights. Readiness is the Pods'
 * Ready condition (the health check becomes their readinessProbe): the worker cannot reach
 * Pod addresses, so there are no preview checks, and no router metrics for canary analysis
 * (requests of a canary with analysis steps are refused for this target).
 *
 * Tested against a fake API server on 127.0.0.1 that answers with recorded API objects
 * (workers/targets/testing/fake-kube-apps.ts): no cluster can run where the tests run.
 */
export function createKubernetesTarget(ctx: TargetContext, config: KubernetesTargetConfig, kubeconfig: string): DeployTarget {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return new KubernetesTarget(ctx, config, kc);
}

class KubernetesTarget implements DeployTarget {
  readonly kind = "kubernetes" as const;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly namespace: string;
  private readonly stopping = new Set<string>();
  /** Replica changes of one version's Deployment, one at a time (read, add or remove one, write). */
  private readonly scaling = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ctx: TargetContext,
    private readonly config: KubernetesTargetConfig,
    kc: KubeConfig,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.namespace = config.namespace;
  }

  async prepare(): Promise<void> {
    const existing = await this.core.readNamespacedService({ name: this.config.deployment, namespace: this.namespace }).catch(notFound);
    if (!existing) await this.core.createNamespacedService({ namespace: this.namespace, body: serviceManifest(this.config, null) });
  }

  async listInstances(): Promise<TargetInstance[]> {
    const pods = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: managedSelector(this.config) });
    return pods.items
      .sort((a, b) => String(a.metadata?.creationTimestamp ?? "").localeCompare(String(b.metadata?.creationTimestamp ?? "")))
      .map((pod) => ({ id: pod.metadata!.name!, version: pod.metadata?.annotations?.[ANNOTATION.version] ?? "", status: this.statusOf(pod) }));
  }

  async startInstance(version: ReleaseRef, env: Record<string, string>): Promise<string> {
    const name = versionName(this.config, version.version);
    const before = new Set((await this.podsOf(version.version)).map((p) => p.metadata!.name!));
    await this.serially(name, async () => {
      const deployment = await this.apps.readNamespacedDeployment({ name, namespace: this.namespace }).catch(notFound);
      if (deployment) {
        await this.scale(name, (deployment.spec?.replicas ?? 0) + 1);
        return;
      }
      const secret = envSecretManifest(this.config, version.version, env);
      await this.core.createNamespacedSecret({ namespace: this.namespace, body: secret }).catch(async (error: unknown) => {
        if ((error as { code?: number }).code !== 409) throw error;
        await this.core.replaceNamespacedSecret({ name: secret.metadata!.name!, namespace: this.namespace, body: secret });
      });
      await this.apps.createNamespacedDeployment({ namespace: this.namespace, body: deploymentManifest(this.config, version, this.ctx.deploymentId, this.ctx.healthCheck) });
    });
    // The ReplicaSet creates the Pod a moment later; the instance is that Pod.
    const deadline = Date.now() + POD_APPEAR_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const fresh = (await this.podsOf(version.version)).find((p) => !before.has(p.metadata!.name!) && !p.metadata?.deletionTimestamp);
      if (fresh) return fresh.metadata!.name!;
      await sleep(100);
    }
    throw new Error(`Deployment ${name} in ${this.namespace} showed no new Pod within ${POD_APPEAR_TIMEOUT_MS / 1000} s`);
  }

  async probe(instanceId: string): Promise<ProbeResult> {
    const pod = await this.core.readNamespacedPod({ name: instanceId, namespace: this.namespace }).catch(notFound);
    if (!pod) return { status: null, refused: false, error: "the Pod is gone" };
    const ready = pod.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    if (ready) return { status: this.ctx.healthCheck?.expectedStatus ?? 200, refused: false };
    // Not running yet (scheduling, pulling): starting, which is not a failed check.
    if (pod.status?.phase === "Pending") return { status: null, refused: true };
    return { status: 503, refused: false, error: "the Pod is not Ready" };
  }

  async admit(): Promise<void> {
    // The Service's endpoints follow the Pods' readiness by themselves.
  }

  previewUrl(): string | null {
    return null;
  }

  waitReady(instanceId: string, check: HealthCheck, options: { signal?: AbortSignal; onProbe?: (tally: HealthTally) => void }) {
    return waitReadyByProbing(this, instanceId, check, options);
  }

  async stopInstance(instanceId: string): Promise<void> {
    const pod = await this.core.readNamespacedPod({ name: instanceId, namespace: this.namespace }).catch(notFound);
    const version = pod?.metadata?.annotations?.[ANNOTATION.version];
    if (!pod || version === undefined || pod.metadata?.deletionTimestamp) return;
    this.stopping.add(instanceId);
    try {
      const name = versionName(this.config, version);
      await this.core.patchNamespacedPod({ name: instanceId, namespace: this.namespace, body: { metadata: { annotations: { [ANNOTATION.deletionCost]: "-1000" } } } }, mergePatch);
      await this.serially(name, async () => {
        const deployment = await this.apps.readNamespacedDeployment({ name, namespace: this.namespace }).catch(notFound);
        const replicas = Math.max(0, (deployment?.spec?.replicas ?? 1) - 1);
        if (deployment && replicas > 0) return this.scale(name, replicas);
        await this.removeVersion(version);
      });
      // The kubelet ends it within its grace period; a Pod held by a finalizer must not hold the deployment forever.
      const deadline = Date.now() + POD_GONE_TIMEOUT_MS;
      while (Date.now() < deadline && (await this.core.readNamespacedPod({ name: instanceId, namespace: this.namespace }).catch(notFound))) await sleep(200);
    } finally {
      this.stopping.delete(instanceId);
    }
  }

  async setTraffic(weights: TrafficWeights): Promise<void> {
    const route = await this.route();
    if (route) {
      for (const version of Object.keys(weights)) {
        await this.core.createNamespacedService({ namespace: this.namespace, body: serviceManifest(this.config, version) }).catch(ignoreConflict);
      }
      const rules = (route.spec?.rules ?? [{}]).map((rule: Record<string, unknown>, i: number) => (i === 0 ? { ...rule, backendRefs: backendRefs(this.config, weights) } : rule));
      await this.custom.patchNamespacedCustomObject({ ...GATEWAY, namespace: this.namespace, name: this.config.deployment, body: { spec: { rules } } }, mergePatch);
      return;
    }
    const body = { metadata: { annotations: { [ANNOTATION.weights]: JSON.stringify(weights) } }, spec: { selector: selectorFor(this.config, weights) } };
    // A merge patch merges selectors: a label the new selector drops must be set to null to go.
    if (!body.spec.selector[LABEL.version]) (body.spec.selector as Record<string, string | null>)[LABEL.version] = null;
    await this.core.patchNamespacedService({ name: this.config.deployment, namespace: this.namespace, body }, mergePatch);
  }

  async getTraffic(): Promise<TrafficWeights> {
    const route = await this.route();
    const versions = await this.versionsByHash();
    if (route) {
      const refs = (route.spec?.rules?.[0]?.backendRefs ?? []) as { name: string; weight?: number }[];
      return Object.fromEntries(refs.filter((r) => (r.weight ?? 1) > 0).map((r) => [versions.get(r.name.slice(this.config.deployment.length + 1)) ?? r.name, r.weight ?? 1]));
    }
    const service = await this.core.readNamespacedService({ name: this.config.deployment, namespace: this.namespace }).catch(notFound);
    const asked = JSON.parse(service?.metadata?.annotations?.[ANNOTATION.weights] ?? "{}") as TrafficWeights;
    const selected = service?.spec?.selector?.[LABEL.version];
    // The split asked for is in force when the selector is the one it needs; otherwise the selector says what serves.
    if (service && sameLabels(service.spec?.selector ?? {}, selectorFor(this.config, asked))) return asked;
    return selected && versions.has(selected) ? { [versions.get(selected)!]: 100 } : {};
  }

  async readMetrics(): Promise<VersionMetrics[]> {
    return [];
  }

  async teardown(): Promise<void> {
    const deployments = await this.apps.listNamespacedDeployment({ namespace: this.namespace, labelSelector: managedSelector(this.config) });
    for (const d of deployments.items) await this.removeVersion(d.metadata?.annotations?.[ANNOTATION.version] ?? "");
    await this.core.deleteNamespacedService({ name: this.config.deployment, namespace: this.namespace }).catch(notFound);
  }

  private statusOf(pod: V1Pod): TargetInstance["status"] {
    if (this.stopping.has(pod.metadata!.name!) || pod.metadata?.deletionTimestamp) return "stopping";
    const crashing = pod.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === "CrashLoopBackOff" || c.state?.waiting?.reason === "ImagePullBackOff");
    return pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded" || crashing ? "exited" : "running";
  }

  private async podsOf(version: string): Promise<V1Pod[]> {
    const selector = `${managedSelector(this.config)},${LABEL.version}=${versionHash(version)}`;
    return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: selector })).items;
  }

  private scale(name: string, replicas: number) {
    return this.apps.patchNamespacedDeploymentScale({ name, namespace: this.namespace, body: { spec: { replicas } } }, mergePatch);
  }

  /** The version's last instance went: its Deployment, env Secret and per-version Service go too. */
  private async removeVersion(version: string): Promise<void> {
    const name = versionName(this.config, version);
    await this.apps.deleteNamespacedDeployment({ name, namespace: this.namespace }).catch(notFound);
    await this.core.deleteNamespacedSecret({ name: envSecretName(this.config, version), namespace: this.namespace }).catch(notFound);
    await this.core.deleteNamespacedService({ name, namespace: this.namespace }).catch(notFound);
  }

  private async versionsByHash(): Promise<Map<string, string>> {
    const deployments = await this.apps.listNamespacedDeployment({ namespace: this.namespace, labelSelector: managedSelector(this.config) });
    return new Map(deployments.items.map((d) => [d.metadata?.labels?.[LABEL.version] ?? "", d.metadata?.annotations?.[ANNOTATION.version] ?? ""]));
  }

  private async route(): Promise<{ spec?: { rules?: Array<Record<string, unknown> & { backendRefs?: unknown[] }> } } | null> {
    return this.custom.getNamespacedCustomObject({ ...GATEWAY, namespace: this.namespace, name: this.config.deployment }).catch(notFound);
  }

  private serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.scaling.get(key) ?? Promise.resolve()).then(fn, fn);
    this.scaling.set(key, next.catch(() => undefined));
    return next;
  }
}

/** For reads and deletes where a missing object is an answer, not an error. */
function notFound(error: unknown): null {
  if ((error as { code?: number }).code === 404) return null;
  throw error;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);
}

function ignoreConflict(error: unknown): void {
  if ((error as { code?: number }).code !== 409) throw error;
}
