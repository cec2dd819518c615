import { Pool } from "undici";
import type { RouteBackendEntry } from "@/server/services/routing";

/** How long a backend that refused a connection gets no new requests. */
export const EJECT_MS = 3_000;
/** An upstream silent this long (no response headers, or a stalled body) is given up on: 504 before the response, a cut one after. */
export const UPSTREAM_IDLE_TIMEOUT_MS = 60_000;

export type BackendState = "active" | "draining" | "removed";

/**
 * One upstream instance as the router sees it: its own keep-alive connection pool, the
 * requests in flight to it, and whether it takes new ones. A draining or removed backend
 * takes none; its requests in flight finish, and it is drained once they have.
 */
export class Backend {
  /** One keep-alive pool per backend (undici: far less work per request than node:http's client), so retiring a backend closes exactly its connections. */
  readonly pool: Pool;
  inFlight = 0;
  ejectedUntil = 0;
  lastError: string | null = null;

  constructor(
    readonly url: string,
    readonly version: string,
    public state: BackendState,
  ) {
    this.pool = new Pool(new URL(url).origin, { headersTimeout: UPSTREAM_IDLE_TIMEOUT_MS, bodyTimeout: UPSTREAM_IDLE_TIMEOUT_MS });
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
  }

  /** Passive check: a failed connection keeps new requests away for a short time. */
  eject(error: Error, nowMs: number): void {
    this.ejectedUntil = nowMs + EJECT_MS;
    this.lastError = error.message;
  }

  /** Takes no new requests; the pool closes its connections once the requests in flight have finished. */
  retire(): void {
    this.state = "removed";
    this.pool.close(() => undefined);
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
