import { randomBytes } from "node:crypto";
import type Dockerode from "dockerode";
import type { HealthCheck, HealthTally, TargetInstance, TrafficWeights, WarmUp } from "@/server/deploy";
import type { DockerTargetConfig } from "@/server/schemas/target";
import { httpProbe, waitReadyByProbing, warmUpByProbing } from "./probe";
import { RouterTraffic } from "./router-backed";
import type { DeployTarget, ReleaseRef, TargetContext } from "./types";

export const LABELS = {
  environment: "slipway.environment",
  project: "slipway.project",
  deployment: "slipway.deployment",
  release: "slipway.release",
  version: "slipway.version",
} as const;

/**
 * Instances as containers of the release's image, published on a random loopback port that
 * the router forwards to. Labels tie each container to its environment, release and the
 * deployment that started it; the containers themselves are the record, so a worker that
 * takes over finds them by label.
 */
export function createDockerTarget(ctx: TargetContext, config: DockerTargetConfig, docker: Dockerode): DeployTarget {
  return new DockerTarget(ctx, config, docker);
}

class DockerTarget implements DeployTarget {
  readonly kind = "docker" as const;
  private readonly router: RouterTraffic;
  private readonly stopping = new Set<string>();
  private readonly urls = new Map<string, string>();

  constructor(
    private readonly ctx: TargetContext,
    private readonly config: DockerTargetConfig,
    private readonly docker: Dockerode,
  ) {
    this.router = new RouterTraffic(ctx.db, ctx.environmentId, ctx.routerUrl, config.listenPort);
  }

  prepare(): Promise<void> {
    return this.router.ensureRoute();
  }

  async listInstances(): Promise<TargetInstance[]> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${LABELS.environment}=${this.ctx.environmentId}`] } });
    const draining = await this.router.drainingUrls();
    return containers
      .sort((a, b) => a.Created - b.Created)
      .map((container) => {
        const published = container.Ports.find((p) => p.PrivatePort === this.config.port && p.PublicPort);
        if (published) this.urls.set(container.Id, `http://127.0.0.1:${published.PublicPort}`);
        const url = this.urls.get(container.Id);
        const running = container.State === "running" || container.State === "created" || container.State === "restarting";
        const status = this.stopping.has(container.Id) || (url && draining.has(url)) ? "stopping" : running ? "running" : "exited";
        return { id: container.Id, version: container.Labels[LABELS.version], status };
      });
  }

  async startInstance(version: ReleaseRef, env: Record<string, string>): Promise<string> {
    const port = `${this.config.port}/tcp`;
    const container = await this.docker.createContainer({
      Image: version.image,
      name: `slipway-${this.ctx.environmentId.slice(0, 8)}-${version.version.replace(/[^A-Za-z0-9_.-]/g, "-")}-${randomBytes(3).toString("hex")}`,
      Env: Object.entries({ ...env, PORT: String(this.config.port), SLIPWAY_VERSION: version.version }).map(([k, v]) => `${k}=${v}`),
      Labels: {
        [LABELS.environment]: this.ctx.environmentId,
        [LABELS.project]: this.ctx.projectId,
        [LABELS.deployment]: this.ctx.deploymentId,
        [LABELS.release]: version.releaseId,
        [LABELS.version]: version.version,
      },
      ExposedPorts: { [port]: {} },
      HostConfig: {
        // Loopback only: people reach the environment through the router's port, not the instances'.
        PortBindings: { [port]: [{ HostIp: "127.0.0.1", HostPort: "" }] },
        RestartPolicy: { Name: "no" },
      },
    });
    try {
      await container.start();
      const info = await container.inspect();
      const hostPort = info.NetworkSettings.Ports[port]?.[0]?.HostPort;
      if (!hostPort) throw new Error(`the container did not publish port ${this.config.port}`);
      this.urls.set(container.id, `http://127.0.0.1:${hostPort}`);
      return container.id;
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new Error(`Could not start ${version.image} for ${version.version}: ${(error as Error).message}`, { cause: error });
    }
  }

  async probe(instanceId: string, check: HealthCheck, signal?: AbortSignal) {
    const url = await this.urlOf(instanceId);
    if (!url) return { status: null, refused: false, error: "the container publishes no port" };
    return httpProbe(url, check, signal);
  }

  async warmUp(instanceId: string, check: HealthCheck, warmUp: WarmUp, signal?: AbortSignal) {
    const url = await this.urlOf(instanceId);
    if (!url) return { status: null, refused: false, error: "the container publishes no port" };
    return warmUpByProbing(url, check, warmUp, signal);
  }

  async admit(instanceId: string): Promise<void> {
    const url = await this.urlOf(instanceId);
    const info = await this.docker.getContainer(instanceId).inspect();
    if (url) await this.router.admit(info.Config.Labels[LABELS.version], url);
  }

  previewUrl(instanceId: string): string | null {
    return this.urls.get(instanceId) ?? null;
  }

  waitReady(instanceId: string, check: HealthCheck, options: { signal?: AbortSignal; onProbe?: (tally: HealthTally) => void }) {
    return waitReadyByProbing(this, instanceId, check, options);
  }

  async stopInstance(instanceId: string, { drain }: { drain: boolean }): Promise<void> {
    const url = await this.urlOf(instanceId).catch(() => null);
    this.stopping.add(instanceId);
    try {
      const end = () => this.remove(instanceId);
      if (drain) await this.router.drainThen(url, end);
      else await end();
    } finally {
      this.stopping.delete(instanceId);
      this.urls.delete(instanceId);
    }
  }

  setTraffic(weights: TrafficWeights): Promise<void> {
    return this.router.setTraffic(weights);
  }

  getTraffic(): Promise<TrafficWeights> {
    return this.router.getTraffic();
  }

  readMetrics(windowSeconds: number) {
    return this.router.readMetrics(windowSeconds);
  }

  async teardown(): Promise<void> {
    for (const instance of await this.listInstances()) await this.remove(instance.id);
    await this.router.teardown();
  }

  /** Stops and removes; a container that is already gone is fine. */
  private async remove(id: string): Promise<void> {
    const container = this.docker.getContainer(id);
    await container.stop({ t: this.config.stopTimeoutSeconds }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 304 && error.statusCode !== 404) throw error;
    });
    await container.remove({ force: true }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
    });
  }

  private async urlOf(id: string): Promise<string | null> {
    if (this.urls.has(id)) return this.urls.get(id)!;
    const info = await this.docker.getContainer(id).inspect();
    const hostPort = info.NetworkSettings.Ports?.[`${this.config.port}/tcp`]?.[0]?.HostPort;
    if (!hostPort) return null;
    const url = `http://127.0.0.1:${hostPort}`;
    this.urls.set(id, url);
    return url;
  }
}
