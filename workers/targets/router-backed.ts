import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { routeBackends, routes, routeVersions } from "@/db/schema";
import type { TrafficWeights, VersionMetrics } from "@/server/deploy";
import { NotFoundError } from "@/server/services/errors";
import { addBackend, deleteRoute, drainBackend, removeBackend, setRoute, setTrafficWeights, type RouteEntry } from "@/server/services/routing";
import { holdSplit, pushRoute, readRouterCommittedTraffic, readRouterMetrics, waitForBackendDrained } from "@/workers/router/client";

/** How long a draining instance may finish its requests before it is stopped anyway. */
export const DRAIN_TIMEOUT_MS = 30_000;

/**
 * The router side shared by the docker and local targets (see workers/router/README.md):
 * splits and backends are written to the database, which the router follows, and each
 * route as committed is pushed to the router's admin port as well, so it is in force as soon
 * as the write returns rather than after the notification and a re-read by a router busy
 * with traffic; a new split goes to the router even before its write. What the router has
 * in force and what it measured are read from its admin port.
 */
export class RouterTraffic {
  constructor(
    private readonly db: Database,
    private readonly environmentId: string,
    private readonly routerUrl: string,
    private readonly listenPort: number,
  ) {}

  /** Creates the environment's route, or moves it to a changed listenPort keeping its split and backends. */
  async ensureRoute(): Promise<void> {
    const [route] = await this.db.select().from(routes).where(eq(routes.environmentId, this.environmentId));
    if (route?.listenPort === this.listenPort) return;
    const weights = route ? await this.db.select().from(routeVersions).where(eq(routeVersions.environmentId, this.environmentId)) : [];
    const backends = route ? await this.db.select().from(routeBackends).where(eq(routeBackends.environmentId, this.environmentId)) : [];
    const versions = [...new Set([...weights.map((w) => w.version), ...backends.map((b) => b.version)])];
    await this.pushed(setRoute(this.db, this.environmentId, {
      port: this.listenPort,
      versions: versions.map((version) => ({
        version,
        weight: weights.find((w) => w.version === version)?.weight ?? 0,
        backends: backends.filter((b) => b.version === version && b.state === "active").map((b) => b.url),
      })),
    }));
  }

  admit(version: string, url: string): Promise<void> {
    return this.pushed(addBackend(this.db, this.environmentId, { version, url }));
  }

  /**
   * The router serves the split at once (held), then it is written to the database and the
   * committed route confirms it. If the write fails, the router keeps the held split while
   * the database is unreachable and gives it up once reads show it never landed; `getTraffic`
   * reports the committed split meanwhile, so the deployment asks again.
   */
  async setTraffic(weights: TrafficWeights): Promise<void> {
    await holdSplit(this.routerUrl, this.environmentId, weights);
    await this.pushed(setTrafficWeights(this.db, this.environmentId, weights));
  }

  getTraffic(): Promise<TrafficWeights> {
    return readRouterCommittedTraffic(this.routerUrl, this.environmentId);
  }

  readMetrics(windowSeconds: number): Promise<VersionMetrics[]> {
    return readRouterMetrics(this.routerUrl, this.environmentId, windowSeconds);
  }

  /** Backends the router is draining: their instances are on their way out, also when another worker began it. */
  async drainingUrls(): Promise<Set<string>> {
    const rows = await this.db
      .select({ url: routeBackends.url })
      .from(routeBackends)
      .where(and(eq(routeBackends.environmentId, this.environmentId), eq(routeBackends.state, "draining")));
    return new Set(rows.map((r) => r.url));
  }

  /**
   * Takes the instance out of rotation and waits until its requests in flight are done, then
   * lets `stop` end it and forgets the backend. An instance that never took traffic (it was
   * never ready) has no backend and stops at once.
   */
  async drainThen(url: string | null, stop: () => Promise<void>): Promise<void> {
    if (url) {
      const inRoute = await this.pushed(drainBackend(this.db, this.environmentId, url)).then(
        () => true,
        (error: unknown) => {
          if (error instanceof NotFoundError) return false;
          throw error;
        },
      );
      if (inRoute) {
        // Past the timeout the instance stops anyway: a stuck request must not hold a deployment forever.
        await waitForBackendDrained(this.routerUrl, this.environmentId, url, { timeoutMs: DRAIN_TIMEOUT_MS }).catch(() => undefined);
      }
    }
    await stop();
    if (url) await this.pushed(removeBackend(this.db, this.environmentId, url));
  }

  teardown(): Promise<void> {
    return deleteRoute(this.db, this.environmentId);
  }

  /** Once the write committed, the router gets the route at once; if it cannot, the notification brings it. */
  private async pushed(write: Promise<RouteEntry | null>): Promise<void> {
    const entry = await write;
    if (entry) await pushRoute(this.routerUrl, entry);
  }
}
