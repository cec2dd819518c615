import { createHash } from "node:crypto";
import type { V1Deployment, V1Secret, V1Service } from "@kubernetes/client-node";
import type { HealthCheck, TrafficWeights } from "@/server/deploy";
import type { KubernetesTargetConfig } from "@/server/schemas/target";

/**
 * Names, labels and manifests of the kubernetes target. Every version runs as its own
 * Deployment (`<base>-<hash of the version>`), so two versions can serve side by side; the
 * Service `<base>` selects what takes traffic, and an HTTPRoute `<base>`, when the cluster
 * has one, splits it by weight across per-version Services.
 */

export const LABEL = {
  name: "app.kubernetes.io/name",
  managedBy: "app.kubernetes.io/managed-by",
  version: "slipway.dev/version-hash",
} as const;

export const ANNOTATION = {
  version: "slipway.dev/version",
  release: "slipway.dev/release",
  deployment: "slipway.dev/deployment",
  /** The split last set, on the Service: what `getTraffic` reports when replicas approximate it. */
  weights: "slipway.dev/weights",
  /** Kubernetes removes the Pods with the lowest cost first when a ReplicaSet scales down. */
  deletionCost: "controller.kubernetes.io/pod-deletion-cost",
} as const;

/** A selector value that matches no Pod: an empty split serves nothing, as on the router. */
export const NO_VERSION = "none";

/** Label values allow 63 characters of [A-Za-z0-9-_.]; version labels may hold anything, so they are hashed. */
export function versionHash(version: string): string {
  return createHash("sha256").update(version).digest("hex").slice(0, 10);
}

export const versionName = (config: KubernetesTargetConfig, version: string) => `${config.deployment}-${versionHash(version)}`;
export const envSecretName = (config: KubernetesTargetConfig, version: string) => `${versionName(config, version)}-env`;

export function baseLabels(config: KubernetesTargetConfig): Record<string, string> {
  return { [LABEL.name]: config.deployment, [LABEL.managedBy]: "slipway" };
}

export const managedSelector = (config: KubernetesTargetConfig) => `${LABEL.name}=${config.deployment},${LABEL.managedBy}=slipway`;

export function deploymentManifest(
  config: KubernetesTargetConfig,
  version: { version: string; image: string; releaseId: string },
  deploymentId: string,
  healthCheck: HealthCheck | undefined,
): V1Deployment {
  const labels = { ...baseLabels(config), [LABEL.version]: versionHash(version.version) };
  const annotations = { [ANNOTATION.version]: version.version, [ANNOTATION.release]: version.releaseId, [ANNOTATION.deployment]: deploymentId };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: versionName(config, version.version), labels, annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations },
        spec: {
          containers: [
            {
              name: "app",
              image: version.image,
              ports: [{ containerPort: config.port }],
              env: [{ name: "PORT", value: String(config.port) }, { name: "SLIPWAY_VERSION", value: version.version }],
              // Variables and secrets come from a Secret, so their values stay out of the Deployment's spec.
              envFrom: [{ secretRef: { name: envSecretName(config, version.version) } }],
              readinessProbe: healthCheck && {
                httpGet: { path: healthCheck.path, port: config.port },
                initialDelaySeconds: healthCheck.initialDelaySeconds,
                periodSeconds: healthCheck.intervalSeconds,
                timeoutSeconds: healthCheck.timeoutSeconds,
                failureThreshold: healthCheck.failureThreshold,
                successThreshold: healthCheck.successThreshold,
              },
            },
          ],
        },
      },
    },
  };
}

export function envSecretManifest(config: KubernetesTargetConfig, version: string, env: Record<string, string>): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: envSecretName(config, version), labels: { ...baseLabels(config), [LABEL.version]: versionHash(version) } },
    type: "Opaque",
    stringData: env,
  };
}

/** `version` null: the environment's Service; else the per-version one an HTTPRoute weights. */
export function serviceManifest(config: KubernetesTargetConfig, version: string | null): V1Service {
  const hash = version === null ? NO_VERSION : versionHash(version);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: version === null ? config.deployment : versionName(config, version), labels: baseLabels(config) },
    spec: { selector: { ...baseLabels(config), [LABEL.version]: hash }, ports: [{ port: config.port, targetPort: config.port }] },
  };
}

/**
 * The environment Service's selector for a split: one version alone is selected by its hash
 * (the blue-green switch); several share the Service, and requests spread by their ready
 * replicas, which the strategies size to the weights.
 */
export function selectorFor(config: KubernetesTargetConfig, weights: TrafficWeights): Record<string, string> {
  const serving = Object.entries(weights).filter(([, weight]) => weight > 0);
  if (serving.length === 0) return { ...baseLabels(config), [LABEL.version]: NO_VERSION };
  if (serving.length === 1) return { ...baseLabels(config), [LABEL.version]: versionHash(serving[0][0]) };
  return baseLabels(config);
}

/** HTTPRoute backendRefs for a split, one per-version Service each. */
export function backendRefs(config: KubernetesTargetConfig, weights: TrafficWeights) {
  return Object.entries(weights)
    .filter(([, weight]) => weight > 0)
    .map(([version, weight]) => ({ group: "", kind: "Service", name: versionName(config, version), port: config.port, weight }));
}
