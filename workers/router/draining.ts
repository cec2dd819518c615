import http from "node:http";
import type { RouteBackendEntry } from "@/server/services/routing";

/** How long a backend that refused a connection gets no new requests. */
export const EJECT_MS = 3_000;
/** An upstream connection silent this long (no response, or a stalled body) is given up on with a 504. */
export const UPSTREAM_IDLE_TIMEOUT_MS = 60_000;

export type BackendState = "active" | "draining" | "removed";

/**
 * One upstream instance as the router sees it: its own keep-alive connection pool, the
 * requests in flight to it, and whether it takes new ones. A draining or removed backend
 * takes none; its requests in flight finish, and it is drained once they have.
 */
export class Backend {
  readonly host: string;
  readonly port: number;
  /** One pool per backend, so retiring a backend closes exactly its idle connections. */
  readonly agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: "lifo", timeout: UPSTREAM_IDLE_TIMEOUT_MS });
  inFlight = 0;
  ejectedUntil = 0;
  lastError: string | null = null;

  constructor(
    readonly url: string,
    readonly version: string,
    public state: BackendState,
  ) {
    const parsed = new URL(url);
    this.host = parsed.hostname;
    this.port = Number(parsed.port || 80);
  }

  get drained(): boolean {
    return this.state !== "active" && this.inFlight === 0;
  }

  takesRequests(nowMs: number): boolean {
    return this.state === "active" && this.ejectedUntil <= nowMs;
  }

  acquire(): void {
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
    if (this.state === "removed" && this.inFlight === 0) this.agent.destroy();
  }

  /** Passive check: a failed connection keeps new requests away for a short time. */
  eject(error: Error, nowMs: number): void {
    this.ejectedUntil = nowMs + EJECT_MS;
    this.lastError = error.message;
  }

  retire(): void {
    this.state = "removed";
    if (this.inFlight === 0) this.agent.destroy();
  }
}

/**
 * The backends of one environment, kept across route-table reloads so in-flight counts,
 * ejections and pooled connections survive a weight change.
 */
export class BackendPool {
  private readonly byUrl = new Map<string, Backend>();
  private byVersion = new Map<string, Backend[]>();
  private readonly cursor = new Map<string, number>();

  sync(entries: readonly RouteBackendEntry[]): void {
    const listed = new Set<string>();
    for (const entry of entries) {
      listed.add(entry.url);
      const existing = this.byUrl.get(entry.url);
      if (existing && existing.version === entry.version) {
        existing.state = entry.state;
        continue;
      }
      // A url that moved to another version is a new instance as far as traffic goes.
      existing?.retire();
      const backend = parseBackend(entry);
      if (backend) this.byUrl.set(entry.url, backend);
      else this.byUrl.delete(entry.url);
    }
    for (const [url, backend] of this.byUrl) {
      if (listed.has(url)) continue;
      backend.retire();
      this.byUrl.delete(url);
    }
    const byVersion = new Map<string, Backend[]>();
    for (const backend of this.byUrl.values()) {
      const list = byVersion.get(backend.version) ?? [];
      list.push(backend);
      byVersion.set(backend.version, list);
    }
    this.byVersion = byVersion;
  }

  /**
   * Round-robin over the version's active backends that are not ejected. When every active
   * one is ejected, the one whose ejection ends first is tried anyway: a blip on all
   * instances at once should not turn into seconds of certain failure.
   */
  pick(version: string, nowMs: number, exclude?: Backend): Backend | undefined {
    const candidates = this.byVersion.get(version);
    if (!candidates) return undefined;
    const start = this.cursor.get(version) ?? 0;
    let fallback: Backend | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const index = (start + i) % candidates.length;
      const backend = candidates[index];
      if (backend === exclude || backend.state !== "active") continue;
      if (backend.takesRequests(nowMs)) {
        this.cursor.set(version, index + 1);
        return backend;
      }
      if (!fallback || backend.ejectedUntil < fallback.ejectedUntil) fallback = backend;
    }
    return fallback;
  }

  get(url: string): Backend | undefined {
    return this.byUrl.get(url);
  }

  list(): Backend[] {
    return [...this.byUrl.values()];
  }

  /** Closes every pooled connection; requests still in flight keep their sockets until they end. */
  close(): void {
    for (const backend of this.byUrl.values()) backend.retire();
    this.byUrl.clear();
    this.byVersion = new Map();
  }
}

/** A row written past the service's validation (by hand, say) must not stop the router applying the rest. */
function parseBackend(entry: RouteBackendEntry): Backend | null {
  try {
    return new Backend(entry.url, entry.version, entry.state);
  } catch (error) {
    console.error(`ignoring backend ${JSON.stringify(entry.url)} of version ${entry.version}: ${(error as Error).message}`);
    return null;
  }
}
