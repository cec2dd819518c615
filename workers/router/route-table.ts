import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteEntry, RouteTable } from "@/server/services/routing";
import { BackendPool } from "./draining";
import { createProxyServer, type ProxyRoute } from "./proxy";
import { EnvironmentStats } from "./stats";
import { SmoothWeightedRoundRobin, weightsKey } from "./weighted";

/** How long closing a port waits for its requests in flight before cutting them. */
const CLOSE_GRACE_MS = 8_000;

/**
 * One environment's listener, split, backends and stats. The proxy holds this object for
 * good; `apply` swaps the balancer in one assignment, so the request after a change sees
 * the whole new split and no request sees half of one.
 */
export class EnvironmentRoute implements ProxyRoute {
  readonly pool = new BackendPool();
  readonly stats = new EnvironmentStats();
  port = 0;
  listenError: string | null = null;
  private balancer = new SmoothWeightedRoundRobin<string>([]);
  private splitKey = "";
  private entry: RouteEntry;
  private server: http.Server | null = null;

  constructor(entry: RouteEntry) {
    this.entry = entry;
    this.apply(entry);
  }

  get environmentId(): string {
    return this.entry.environmentId;
  }

  /** The port the table asks for; `port` is the one open now (0 while none is). */
  get configuredPort(): number {
    return this.entry.port;
  }

  get weights(): Record<string, number> {
    return Object.fromEntries(this.entry.versions.filter((v) => v.weight > 0).map((v) => [v.version, v.weight]));
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  pickVersion(): string | undefined {
    return this.balancer.next();
  }

  apply(entry: RouteEntry): void {
    this.entry = entry;
    this.pool.sync(entry.backends);
    const key = weightsKey(entry.versions);
    // An unchanged split keeps its place in the sequence, so reloads do not skew the ratio.
    if (key === this.splitKey) return;
    this.splitKey = key;
    this.balancer = new SmoothWeightedRoundRobin(entry.versions.map((v) => ({ key: v.version, weight: v.weight })));
  }

  /** Opens the environment's port; a failure (port taken) is kept for `GET /routes` and tried again on the next load. */
  async listen(host: string): Promise<void> {
    if (this.listening && this.port === this.entry.port) return;
    const server = createProxyServer(this);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port: this.entry.port, host }, () => {
          server.off("error", reject);
          resolve();
        });
      });
      this.server = server;
      this.port = (server.address() as AddressInfo).port;
      this.listenError = null;
    } catch (error) {
      this.listenError = `could not listen on port ${this.entry.port}: ${(error as Error).message}`;
    }
  }

  /** Stops taking connections at once; requests in flight get CLOSE_GRACE_MS to finish. */
  async closeListener(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(cut);
  }

  entryVersions(): string[] {
    return this.entry.versions.map((v) => v.version);
  }
}

/** Every environment the router serves, kept equal to the last table it was given. */
export class RouteTableState {
  private readonly environments = new Map<string, EnvironmentRoute>();
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly listenHost: string) {}

  /**
   * Makes the router serve `table`: weights and backends change in place, ports that moved or
   * went away close before new ones open (two environments may swap ports), and environments
   * whose port could not be opened are retried. Calls run one after another.
   */
  apply(table: RouteTable): Promise<void> {
    const run = this.applying.then(() => this.applyNow(table));
    this.applying = run.catch(() => undefined);
    return run;
  }

  get(environmentId: string): EnvironmentRoute | undefined {
    return this.environments.get(environmentId);
  }

  list(): EnvironmentRoute[] {
    return [...this.environments.values()];
  }

  /** Drops the stats of versions that left the split and have been idle for the whole window. */
  forgetIdleStats(nowMs = Date.now()): void {
    for (const route of this.environments.values()) route.stats.forgetIdle(new Set(route.entryVersions()), nowMs);
  }

  async close(): Promise<void> {
    await this.applying;
    await Promise.all([...this.environments.values()].map((route) => route.closeListener()));
    for (const route of this.environments.values()) route.pool.close();
    this.environments.clear();
  }

  private async applyNow(table: RouteTable): Promise<void> {
    const wanted = new Map(table.environments.map((entry) => [entry.environmentId, entry]));
    const closing: Promise<void>[] = [];
    for (const [id, route] of this.environments) {
      const entry = wanted.get(id);
      if (!entry) {
        this.environments.delete(id);
        closing.push(route.closeListener().then(() => route.pool.close()));
      } else if (route.listening && route.port !== entry.port) {
        closing.push(route.closeListener());
      }
    }
    // server.close() frees the listening port at once; waiting for the graceful part here
    // would hold every other change back behind one slow request.
    void Promise.all(closing);
    for (const entry of wanted.values()) {
      const route = this.environments.get(entry.environmentId);
      if (route) route.apply(entry);
      else this.environments.set(entry.environmentId, new EnvironmentRoute(entry));
    }
    await Promise.all([...this.environments.values()].map((route) => route.listen(this.listenHost)));
  }
}
