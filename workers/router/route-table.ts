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
 * How long a split a worker pushed ahead of its database write (`hold`) stands against
 * database reads that disagree with it: reads that began this long after the push still
 * without the write mean it never landed, and the database has the last word again.
 */
export const HOLD_MS = 10_000;

/** Where an entry handed to `EnvironmentRoute.apply` comes from. */
export type EntrySource =
  /** A database read that began at `startedAt` (`performance.now()`). */
  | { kind: "read"; startedAt: number }
  /** A route a worker committed and pushed. */
  | { kind: "push" }
  /** The saved file, or a table handed over directly (tests, benchmarks): it replaces any hold. */
  | { kind: "direct" };

type Hold = { versions: RouteEntry["versions"]; at: number; baseRevision: number };

/**
 * One environment's listener, split, backends and stats. The proxy holds this object for
 * good; `apply` swaps the balancer in one assignment, so the request after a change sees
 * the whole new split and no request sees half of one.
 *
 * It keeps the route as the database has it (`committed`) and, for a moment, a split a
 * worker pushed before writing it (`hold`): the split in force is the committed route
 * with the held weights, until the database shows them (the write landed) or, for
 * HOLD_MS of reads, does not (it never will).
 */
export class EnvironmentRoute implements ProxyRoute {
  readonly pool = new BackendPool();
  readonly stats = new EnvironmentStats();
  port = 0;
  listenError: string | null = null;
  /**
   * When the committed route came by push from a worker (`performance.now()`), or null when
   * it came from a database read, the saved file or `apply`: a database read that began
   * before that push may not have seen the write it carried.
   */
  pushedAt: number | null = null;
  private balancer = new SmoothWeightedRoundRobin<string>([]);
  private splitKey = "";
  private committed: RouteEntry;
  private held: Hold | null = null;
  private entry: RouteEntry;
  private server: http.Server | null = null;

  constructor(entry: RouteEntry) {
    this.committed = entry;
    this.entry = entry;
    this.apply(entry, { kind: "direct" });
  }

  get environmentId(): string {
    return this.entry.environmentId;
  }

  /** The port the table asks for; `port` is the one open now (0 while none is). */
  get configuredPort(): number {
    return this.entry.port;
  }

  /** The committed route's revision (see routeEntrySchema); -1 when it has none (a table handed over by `apply`). */
  get revision(): number {
    return this.committed.revision ?? -1;
  }

  /** The route in force (held weights included), as a table row: what is saved, so a restart serves the same. */
  get current(): RouteEntry {
    return this.entry;
  }

  /** The split in force. */
  get weights(): Record<string, number> {
    return positive(this.entry.versions);
  }

  /** The split the database has (as far as the router knows): what a worker's `getTraffic` reports. */
  get committedWeights(): Record<string, number> {
    return positive(this.committed.versions);
  }

  /** The split pushed ahead of its write, while it is held. */
  get holding(): { weights: Record<string, number>; sinceMs: number } | null {
    return this.held && { weights: positive(this.held.versions), sinceMs: this.held.at };
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  pickVersion(): string | undefined {
    return this.balancer.next();
  }

  /** The route as the database has it; a held split stays in force over it as the class comment says. */
  apply(entry: RouteEntry, source: EntrySource): void {
    this.committed = entry;
    const held = this.held;
    if (held) {
      const confirmed = (entry.revision ?? -1) > held.baseRevision && weightsKey(entry.versions) === weightsKey(held.versions);
      const overruled = source.kind === "direct" || (source.kind === "read" && source.startedAt - held.at >= HOLD_MS);
      if (confirmed || overruled) this.held = null;
    }
    this.serve();
  }

  /** Serves `weights` at once, ahead of the database write that is on its way (see the class comment). */
  hold(weights: Record<string, number>, nowMs = performance.now()): void {
    const versions = Object.entries(weights)
      .map(([version, weight]) => ({ version, weight }))
      .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
    this.held = { versions, at: nowMs, baseRevision: this.revision };
    this.serve();
  }

  private serve(): void {
    const entry = this.held ? { ...this.committed, versions: this.held.versions } : this.committed;
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

function positive(versions: RouteEntry["versions"]): Record<string, number> {
  return Object.fromEntries(versions.filter((v) => v.weight > 0).map((v) => [v.version, v.weight]));
}

/** What became of a pushed entry: in force now, older than the one in force, or for the database to settle. */
export type PushOutcome = "applied" | "stale" | "unknown";

/** Every environment the router serves, kept equal to the last table it was given (and the pushes since). */
export class RouteTableState {
  private readonly environments = new Map<string, EnvironmentRoute>();
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly listenHost: string) {}

  /**
   * Makes the router serve `table`: weights and backends change in place, ports that moved or
   * went away close before new ones open (two environments may swap ports), and environments
   * whose port could not be opened are retried. Calls run one after another.
   *
   * `readStartedAt`: the table is a database read that began then (`performance.now()`). An
   * entry pushed after that moment with a higher revision stays in force: the read may have
   * missed its write. Any other table entry replaces what is in force, pushed or not, so the
   * database always has the last word.
   */
  apply(table: RouteTable, readStartedAt?: number): Promise<void> {
    const run = this.applying.then(() => this.applyNow(table, readStartedAt));
    this.applying = run.catch(() => undefined);
    return run;
  }

  /**
   * An environment's route as a worker committed it, applied at once (no database round
   * trip). Only a change of split and backends of an environment served on the same port:
   * anything else (a new environment, a moved port) is left to the database read, which
   * opens and closes ports in the right order. A push older than the entry in force is
   * ignored, so pushes that overtake each other do no harm.
   */
  push(entry: RouteEntry, receivedAt = performance.now()): PushOutcome {
    const route = this.environments.get(entry.environmentId);
    if (!route || route.configuredPort !== entry.port || entry.revision === undefined) return "unknown";
    if (entry.revision <= route.revision) return "stale";
    route.apply(entry, { kind: "push" });
    route.pushedAt = receivedAt;
    return "applied";
  }

  /**
   * A split a worker is about to write to the database, served at once (see
   * `EnvironmentRoute.hold`); "unknown" when the router does not serve the environment.
   */
  hold(environmentId: string, weights: Record<string, number>): PushOutcome {
    const route = this.environments.get(environmentId);
    if (!route) return "unknown";
    route.hold(weights);
    return "applied";
  }

  /** The table in force, in the order the database reads it, to save. */
  snapshot(): RouteTable {
    const environments = [...this.environments.values()].map((route) => route.current);
    return { environments: environments.sort((a, b) => (a.environmentId < b.environmentId ? -1 : a.environmentId > b.environmentId ? 1 : 0)) };
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

  private async applyNow(table: RouteTable, readStartedAt: number | undefined): Promise<void> {
    const wanted = new Map(table.environments.map((entry) => [entry.environmentId, entry]));
    // Entries pushed since the read began, and newer than what it found, stay as they are.
    const kept = new Set<string>();
    for (const [id, route] of this.environments) {
      const entry = wanted.get(id);
      if (entry && readStartedAt !== undefined && route.pushedAt !== null && route.pushedAt > readStartedAt && route.revision > (entry.revision ?? -1)) {
        kept.add(id);
      }
    }
    const closing: Promise<void>[] = [];
    for (const [id, route] of this.environments) {
      const entry = wanted.get(id);
      if (!entry) {
        this.environments.delete(id);
        closing.push(route.closeListener().then(() => route.pool.close()));
      } else if (!kept.has(id) && route.listening && route.port !== entry.port) {
        closing.push(route.closeListener());
      }
    }
    // server.close() frees the listening port at once; waiting for the graceful part here
    // would hold every other change back behind one slow request.
    void Promise.all(closing);
    for (const entry of wanted.values()) {
      const route = this.environments.get(entry.environmentId);
      if (!route) this.environments.set(entry.environmentId, new EnvironmentRoute(entry));
      else if (!kept.has(entry.environmentId)) {
        route.apply(entry, readStartedAt === undefined ? { kind: "direct" } : { kind: "read", startedAt: readStartedAt });
        route.pushedAt = null;
      }
    }
    await Promise.all([...this.environments.values()].map((route) => route.listen(this.listenHost)));
  }
}
