import postgres from "postgres";

/**
 * Approval changes for browsers: one LISTEN per web process on `slipway_approvals` (see
 * APPROVALS_CHANNEL in governance-gate.ts; every request made, decided, expired, stale or
 * withdrawn is announced there) fanned out to in-process subscribers. A subscriber hears the
 * request id, or null after a reconnect (notices may have been missed: read again).
 */

const CHANNEL = "slipway_approvals";
type Listener = (requestId: string | null) => void;

class ApprovalsLive {
  private readonly listeners = new Set<Listener>();
  private sql: postgres.Sql | null = null;
  private listening: Promise<void> | null = null;

  constructor(private readonly url: string) {}

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    void this.start();
    return () => void this.listeners.delete(fn);
  }

  /** Resolves once LISTEN is active. */
  ready(): Promise<void> {
    return this.start();
  }

  private start(): Promise<void> {
    if (!this.listening) {
      this.sql = postgres(this.url, { max: 1, max_lifetime: null, onnotice: () => undefined, connection: { application_name: "slipway-approvals-live" } });
      // postgres.js listens again after a dropped connection and calls `onlisten` each time: then everyone reads again.
      this.listening = this.sql
        .listen(CHANNEL, (payload) => this.dispatch(payload), () => this.dispatch(null))
        .then(() => undefined)
        .catch((error: Error) => {
          console.error(`approvals live: cannot listen (${error.message})`);
          this.listening = null;
          void this.sql?.end({ timeout: 0 });
          this.sql = null;
        });
    }
    return this.listening ?? Promise.resolve();
  }

  private dispatch(requestId: string | null) {
    for (const fn of this.listeners) {
      try {
        fn(requestId);
      } catch (error) {
        console.error(`approvals live: a subscriber failed: ${(error as Error).message}`);
      }
    }
  }
}

const globalForApprovals = globalThis as unknown as { slipwayApprovalsLive?: ApprovalsLive };

export function approvalsLive(): ApprovalsLive {
  if (!globalForApprovals.slipwayApprovalsLive) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set; start Slipway with `npm start`, which sets it.");
    globalForApprovals.slipwayApprovalsLive = new ApprovalsLive(url);
  }
  return globalForApprovals.slipwayApprovalsLive;
}
