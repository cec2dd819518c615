import type { Database } from "@/db/client";
import type { HealthCheck, Target, VersionRef, WarmUp } from "@/server/deploy";

/** What a target is made for: one deployment's environment. */
export type TargetContext = {
  db: Database;
  projectId: string;
  environmentId: string;
  /** Labels instances with it, so an instance can be traced to the deployment that started it. */
  deploymentId: string;
  dataDir: string;
  /** The router's admin address (http://127.0.0.1:SLIPWAY_ROUTER_PORT), for the docker and local targets. */
  routerUrl: string;
  /** The deployment's health check: the kubernetes target makes it the Pods' readiness probe. */
  healthCheck?: HealthCheck;
};

/** A release as a target starts it: the version label, the image (or `artifact:<digest>` for local) and its release. */
export type ReleaseRef = VersionRef & { releaseId: string };

/** One health probe: the HTTP status, or null with why (refused: nothing listens yet). */
export type ProbeResult = { status: number | null; refused: boolean; error?: string };

/**
 * server/deploy's Target, plus what the worker's driver needs to run health checks itself
 * (it keeps probing ready instances, which `waitReady` does not) and to let an instance
 * take traffic only once it is ready.
 */
export interface DeployTarget extends Target {
  readonly kind: "docker" | "local" | "kubernetes";
  /** Makes what the deployment needs exist (the router's route); idempotent. */
  prepare(): Promise<void>;
  startInstance(version: ReleaseRef, env: Record<string, string>): Promise<string>;
  /** One probe of the instance's health path. */
  probe(instanceId: string, check: HealthCheck, signal?: AbortSignal): Promise<ProbeResult>;
  /**
   * Just before `admit`: warm-up requests to a target the router sends traffic to (see
   * `warmUpSchema`); the first failed one, or null. Left out where the platform routes.
   */
  warmUp?(instanceId: string, check: HealthCheck, warmUp: WarmUp, signal?: AbortSignal): Promise<ProbeResult | null>;
  /** The instance passed its readiness check: it may get requests now. Idempotent. */
  admit(instanceId: string): Promise<void>;
  /** Where a preview check reaches the instance directly, bypassing the router; null when it cannot. */
  previewUrl(instanceId: string): string | null;
}
