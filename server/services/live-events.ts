import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import superjson from "superjson";
import type { Database } from "@/db/client";
import { deployments, jobs, projects, runs } from "@/db/schema";

/**
 * Change events for browsers. One LISTEN connection per web process hears
 * `slipway_logs` (log chunks, see workers/logs/log-writer.ts),
 * `slipway_runs` (a run id, on every job or run state change) and
 * `slipway_deployments` (a deployment id, on every recorded change: see
 * DEPLOYMENT_CHANNEL in deploy-driver.ts) and fans them out to in-process
 * subscribers, each through its own bounded mailbox.
 */

export type LiveLogLine = { text: string; at: number };

export type JobLogEvent =
  /** `lines` is null when the chunk was too large for the notice: read it from the table. */
  | { kind: "chunk"; firstLine: number; count: number; lines: LiveLogLine[] | null }
  /** Notices may have been missed (the connection was lost, or this subscriber fell behind): read from the table. */
  | { kind: "resync" };

export type RunChange = { kind: "changed" } | { kind: "resync" };

/** `deploymentId` names the deployment that changed; `resync`: notices may have been missed, read the tables again. */
export type DeploymentChange = { kind: "changed"; deploymentId: string } | { kind: "resync" };

type Listener<E> = (event: E) => void | Promise<void>;

/**
 * Delivers events to one subscriber in order, awaiting each, so a subscriber
 * that is slow (a browser reading slowly) only delays itself. When it falls
 * `limit` events behind, what is queued is replaced by the `overflow` event:
 * everything dropped is in the database, and memory stays bounded. A
 * subscriber that returns no promise has each event at once: notices that
 * arrive together (one read of the connection) never count against it.
 */
class Mailbox<E> {
  private queue: E[] = [];
  private draining = false;
  private closed = false;

  constructor(
    private readonly fn: Listener<E>,
    private readonly limit: number,
    private readonly overflow: E,
  ) {}

  push(event: E) {
    if (this.closed) return;
    if (this.queue.length >= this.limit) this.queue = [this.overflow];
    else this.queue.push(event);
    if (!this.draining) void this.drain();
  }

  close() {
    this.closed = true;
    this.queue = [];
  }

  private async drain() {
    this.draining = true;
    while (this.queue.length > 0 && !this.closed) {
      const event = this.queue.shift()!;
      try {
        const pending = this.fn(event);
        if (pending) await pending;
      } catch (error) {
        console.error(`live events: a subscriber failed: ${(error as Error).message}`);
      }
    }
    this.draining = false;
  }
}

export type LiveEventsOptions = {
  /** Events a subscriber may fall behind before it is told to resync instead. */
  mailboxLimit?: number;
  /** Reconnect delays: from `minRetryMs`, doubling, up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
};

/** The deployments channel; deploy-driver.ts's DEPLOYMENT_CHANNEL (not imported: that module pulls in the job queue). */
export const DEPLOYMENTS_CHANNEL = "slipway_deployments";
const CHANNELS = ["slipway_logs", "slipway_runs", DEPLOYMENTS_CHANNEL] as const;
/** Subscribers to every deployment's changes (a project's board filters them itself). */
const ANY_DEPLOYMENT = "*";

export class LiveEvents {
  private readonly jobLogs = new Map<string, Set<Mailbox<JobLogEvent>>>();
  private readonly runChanges = new Map<string, Set<Mailbox<RunChange>>>();
  private readonly deploymentChanges = new Map<string, Set<Mailbox<DeploymentChange>>>();
  /** The connection being opened or listening; events from any older one are ignored. */
  private current: postgres.Sql | null = null;
  private active = false;
  private stopped = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly options: LiveEventsOptions = {},
  ) {
    this.retryMs = options.minRetryMs ?? 250;
  }

  subscribeJobLog(jobId: string, fn: Listener<JobLogEvent>): () => void {
    return this.add(this.jobLogs, jobId, new Mailbox(fn, this.options.mailboxLimit ?? 1_000, { kind: "resync" } as JobLogEvent));
  }

  subscribeRun(runId: string, fn: Listener<RunChange>): () => void {
    return this.add(this.runChanges, runId, new Mailbox(fn, this.options.mailboxLimit ?? 1_000, { kind: "resync" } as RunChange));
  }

  /** Changes of one deployment. */
  subscribeDeployment(deploymentId: string, fn: Listener<DeploymentChange>): () => void {
    return this.add(this.deploymentChanges, deploymentId, new Mailbox(fn, this.options.mailboxLimit ?? 1_000, { kind: "resync" } as DeploymentChange));
  }

  /** Changes of every deployment, for views that span several (a project's environments board). */
  subscribeAllDeployments(fn: Listener<DeploymentChange>): () => void {
    return this.subscribeDeployment(ANY_DEPLOYMENT, fn);
  }

  /** True while LISTEN is active: notices sent from now on reach subscribers. */
  get listening(): boolean {
    return this.active;
  }

  /** Resolves once LISTEN is active, or after `timeoutMs` (a subscriber then hears `resync` when it connects). */
  ready(timeoutMs = 5_000): Promise<boolean> {
    this.start();
    if (this.active) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(wake);
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const sql = this.current;
    this.current = null;
    this.active = false;
    await sql?.end({ timeout: 0 });
  }

  private add<E>(map: Map<string, Set<Mailbox<E>>>, key: string, mailbox: Mailbox<E>): () => void {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(mailbox);
    this.start();
    return () => {
      mailbox.close();
      set.delete(mailbox);
      if (set.size === 0 && map.get(key) === set) map.delete(key);
    };
  }

  /** Connects on first use, so building or importing this module opens nothing. */
  private start() {
    if (this.current || this.stopped || this.retryTimer) return;
    void this.connect();
  }

  private async connect() {
    // Our own connection and LISTEN rather than `sql.listen`: postgres.js re-listens after a drop but gives up
    // silently if the database is still down then; here every drop is retried and subscribers are told to resync.
    const options = {
      max: 1,
      max_lifetime: null,
      onnotice: () => undefined,
      // postgres.js calls these for every connection but leaves them out of its types.
      onnotify: (channel: string, payload: string) => this.dispatch(channel, payload),
      onclose: () => this.lost(sql),
      connection: { application_name: "slipway-live-events" },
    };
    const sql: postgres.Sql = postgres(this.url, options as postgres.Options<Record<string, never>>);
    this.current = sql;
    try {
      for (const channel of CHANNELS) await sql.unsafe(`listen ${channel}`);
    } catch (error) {
      console.error(`live events: cannot listen (${(error as Error).message}); retrying in ${this.retryMs} ms`);
      this.lost(sql);
      return;
    }
    if (this.current !== sql) return;
    this.active = true;
    this.retryMs = this.options.minRetryMs ?? 250;
    // Anything sent while no connection listened is lost: whoever subscribed before this point reads it from the tables.
    this.resyncAll();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private lost(sql: postgres.Sql) {
    void sql.end({ timeout: 0 }).catch(() => undefined);
    if (this.current !== sql) return;
    const wasListening = this.active;
    this.current = null;
    this.active = false;
    if (this.stopped || this.retryTimer) return;
    if (wasListening) console.error("live events: the LISTEN connection closed; reconnecting");
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.jobLogs.size > 0 || this.runChanges.size > 0 || this.deploymentChanges.size > 0 || this.waiters.length > 0) this.start();
    }, delay);
  }

  private resyncAll() {
    for (const set of this.jobLogs.values()) for (const m of set) m.push({ kind: "resync" });
    for (const set of this.runChanges.values()) for (const m of set) m.push({ kind: "resync" });
    for (const set of this.deploymentChanges.values()) for (const m of set) m.push({ kind: "resync" });
  }

  private dispatch(channel: string, payload: string) {
    if (channel === "slipway_runs") {
      for (const m of this.runChanges.get(payload) ?? []) m.push({ kind: "changed" });
      return;
    }
    if (channel === DEPLOYMENTS_CHANNEL) {
      const event: DeploymentChange = { kind: "changed", deploymentId: payload };
      for (const m of this.deploymentChanges.get(payload) ?? []) m.push(event);
      if (payload !== ANY_DEPLOYMENT) for (const m of this.deploymentChanges.get(ANY_DEPLOYMENT) ?? []) m.push(event);
      return;
    }
    if (channel !== "slipway_logs") return;
    let notice: { j: string; f: number; n: number; c?: string; t?: number[] };
    try {
      notice = JSON.parse(payload);
    } catch {
      return;
    }
    const set = this.jobLogs.get(notice.j);
    if (!set) return;
    const lines = notice.c === undefined ? null : notice.c.split("\n").map((text, i) => ({ text, at: notice.t?.[i] ?? Date.now() }));
    const event: JobLogEvent = { kind: "chunk", firstLine: notice.f, count: notice.n, lines };
    for (const m of set) m.push(event);
  }
}

const globalForLive = globalThis as unknown as { slipwayLiveEvents?: LiveEvents };

/** The process-wide hub, kept on globalThis so hot reloads in development reuse its connection. */
export function liveEvents(): LiveEvents {
  if (!globalForLive.slipwayLiveEvents) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set; start Slipway with `npm start`, which sets it.");
    globalForLive.slipwayLiveEvents = new LiveEvents(url);
  }
  return globalForLive.slipwayLiveEvents;
}

export const subscribeJobLog = (jobId: string, fn: Listener<JobLogEvent>) => liveEvents().subscribeJobLog(jobId, fn);
export const subscribeRun = (runId: string, fn: Listener<RunChange>) => liveEvents().subscribeRun(runId, fn);
export const subscribeDeployment = (deploymentId: string, fn: Listener<DeploymentChange>) => liveEvents().subscribeDeployment(deploymentId, fn);

/* ---------- for the route handlers that stream to browsers ---------- */

export const TERMINAL_JOB_STATUSES: readonly string[] = ["succeeded", "failed", "cancelled", "skipped"];

/** Where a job belongs, so a route can authorise with `runs.get` before streaming. */
export async function jobScope(db: Database, jobId: string) {
  if (!isUuid(jobId)) return null;
  const [row] = await db
    .select({ jobId: jobs.id, key: jobs.key, status: jobs.status, runId: runs.id, runNumber: runs.number, projectId: projects.id, projectSlug: projects.slug })
    .from(jobs)
    .innerJoin(runs, eq(runs.id, jobs.runId))
    .innerJoin(projects, eq(projects.id, runs.projectId))
    .where(eq(jobs.id, jobId));
  return row ?? null;
}

export async function runScope(db: Database, runId: string) {
  if (!isUuid(runId)) return null;
  const [row] = await db.select({ runId: runs.id, projectId: runs.projectId }).from(runs).where(eq(runs.id, runId));
  return row ?? null;
}

/** Where a deployment belongs, so a route can authorise with `deployments.get` before streaming. */
export async function deploymentScope(db: Database, deploymentId: string) {
  if (!isUuid(deploymentId)) return null;
  const [row] = await db.select({ deploymentId: deployments.id, projectId: deployments.projectId, environmentId: deployments.environmentId }).from(deployments).where(eq(deployments.id, deploymentId));
  return row ?? null;
}

export const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/** A refused or failed authorisation as a plain-text response with the API's status code and message. */
export function errorResponse(error: unknown): Response {
  const status = error instanceof Error && "code" in error ? getHTTPStatusCodeFromError(error as Parameters<typeof getHTTPStatusCodeFromError>[0]) : 500;
  const message = status === 500 ? "Slipway could not answer this request." : (error as Error).message;
  if (status === 500) console.error(error);
  return new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

export type SseWriter = {
  /** Sends one event; resolves when the browser has room for more, so a slow reader slows its sender only. */
  send: (event: string, data: unknown, id?: string) => Promise<void>;
  /** Runs when the stream ends, however it ends. */
  onClose: (fn: () => void) => void;
  close: () => void;
  readonly closed: boolean;
};

/**
 * A `text/event-stream` response: a comment every `heartbeatMs` keeps
 * proxies from closing an idle stream, and the stream ends when the browser
 * goes away (request.signal) or `produce` closes it.
 */
export function sseResponse(request: Request, produce: (out: SseWriter) => Promise<void>, { heartbeatMs = 15_000 } = {}): Response {
  const encoder = new TextEncoder();
  const cleanups: (() => void)[] = [];
  const room: (() => void)[] = [];
  let closed = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  const wake = () => room.splice(0).forEach((fn) => fn());
  const close = () => {
    if (closed) return;
    closed = true;
    wake();
    for (const fn of cleanups.splice(0)) {
      try {
        fn();
      } catch (error) {
        console.error(error);
      }
    }
    try {
      controller.close();
    } catch {
      // Already closed or cancelled by the reader.
    }
  };
  const write = (text: string) => {
    if (!closed) controller.enqueue(encoder.encode(text));
  };
  const out: SseWriter = {
    async send(event, data, id) {
      if (closed) return;
      write(`${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if ((controller.desiredSize ?? 1) <= 0) await new Promise<void>((resolve) => room.push(resolve));
    },
    onClose: (fn) => (closed ? fn() : void cleanups.push(fn)),
    close,
    get closed() {
      return closed;
    },
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        // Tells EventSource how soon to reconnect after a drop.
        write("retry: 2000\n\n");
      },
      pull: () => wake(),
      cancel: () => close(),
    },
    { highWaterMark: 32 },
  );
  const heartbeat = setInterval(() => write(": keep-alive\n\n"), heartbeatMs);
  cleanups.push(() => clearInterval(heartbeat));
  if (request.signal.aborted) close();
  else request.signal.addEventListener("abort", close, { once: true });
  produce(out).catch((error: Error) => {
    console.error(`event stream failed: ${error.message}`);
    void out.send("failure", { message: "The stream failed on the server; reload to try again." }).finally(close);
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}

/** Runs tasks one at a time in order: live chunks and database reads of one stream never interleave. */
export function serialQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task);
    tail = result.catch(() => undefined);
    return result;
  };
}

export type SnapshotStream = {
  /** Asks for a fresh snapshot; a burst of asks within the coalescing time becomes one event. */
  schedule: () => void;
  /** Sends the snapshot read before subscribing, then one more (a change may have come in between). */
  start: () => Promise<void>;
  /** Runs `task` in the stream's order (after any snapshot being sent). */
  serial: <T>(task: () => Promise<T>) => Promise<T>;
};

/**
 * A stream of snapshots of one thing (a run, a deployment, a board) as
 * `event` events, each `superjson.serialize`d: re-read on every change,
 * at most one per `coalesceMs`. A failing read sends `failure` with its
 * message and ends the stream (losing access ends it).
 */
export function snapshotStream<T>(out: SseWriter, o: { event: string; coalesceMs: number; first: T; snapshot: () => Promise<T> }): SnapshotStream {
  const serial = serialQueue();
  let timer: NodeJS.Timeout | null = null;
  let lastSent = 0;
  const push = (data: T) => {
    lastSent = Date.now();
    return out.send(o.event, superjson.serialize(data));
  };
  const refresh = () =>
    serial(async () => {
      if (out.closed) return;
      try {
        await push(await o.snapshot());
      } catch (error) {
        await out.send("failure", { message: (error as Error).message });
        out.close();
      }
    });
  const schedule = () => {
    if (timer || out.closed) return;
    timer = setTimeout(
      () => {
        timer = null;
        void refresh();
      },
      Math.max(0, lastSent + o.coalesceMs - Date.now()),
    );
  };
  out.onClose(() => timer && clearTimeout(timer));
  return {
    schedule,
    serial,
    start: async () => {
      await serial(() => push(o.first));
      schedule();
    },
  };
}
