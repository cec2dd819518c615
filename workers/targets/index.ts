import type Dockerode from "dockerode";
import type { TargetConfig } from "@/server/schemas/target";
import { createDockerTarget } from "./docker";
import { createKubernetesTarget } from "./kubernetes";
import { createLocalTarget } from "./local";
import type { DeployTarget, TargetContext } from "./types";

export type { DeployTarget, ProbeResult, ReleaseRef, TargetContext } from "./types";

export class TargetUnavailableError extends Error {}

/**
 * The target an environment's settings name. `kubeconfig` is the decrypted secret the
 * kubernetes settings point at; docker needs an engine this worker reaches.
 */
export function createTarget(config: TargetConfig, ctx: TargetContext, engines: { docker?: Dockerode | null; kubeconfig?: string | null }): DeployTarget {
  switch (config.kind) {
    case "local":
      return createLocalTarget(ctx, config);
    case "docker":
      if (!engines.docker) throw new TargetUnavailableError("This environment deploys to Docker, but this worker reaches no Docker engine.");
      return createDockerTarget(ctx, config, engines.docker);
    case "kubernetes":
      if (!engines.kubeconfig) throw new TargetUnavailableError(`This environment deploys to Kubernetes, but its secret ${config.kubeconfigSecret} (the kubeconfig) is not set, or this worker has no secret key to read it.`);
      return createKubernetesTarget(ctx, config, engines.kubeconfig);
  }
}
