import type postgres from "postgres";
import { queueLabels } from "@/server/queue/job-queue";
import { WorkerStopping } from "./stopping";

/** What the dispatcher needs to know of a claimed job: which it is, and its run (cancellations name runs). */
type Claimed = { job: { id: string }; run: { id: string } };

export type DispatcherOptions<T extends Claimed> = {
  /** A connection of its own for LISTEN. */
  listen: postgres.Sql;
  /** The worker's labels: it serves every pool whose labels it carries all of. */
  labels: string[];
  concurrency: number;
  /** Claims up to `limit` queued jobs this worker serves, oldest first. */
  claim: (limit: number) => Promise<T[]>;
  handle: (claimed: T, signal: AbortSignal) => Promise<void>;
  onError: (error: Error) => void;
};

/** How often to look for work anyway, in case a notification was missed (the safety net). */
const POLL_MS = 1000;

/**
 * Takes jobs the moment they are queued: the transaction that queues a job
 * NOTIFYs `slipway_jobs` with its pool, and the dispatcher claims until no
 * job is left or its slots are full. Cancellations arrive on
 * `slipway_cancel` and abort the run's jobs running here.
 *
 * Each claim is a round trip on the way to a job's start, so none is made in
 * vain: a claim that returns fewer jobs than asked for proves the pools
 * empty (a job queued after it will NOTIFY, and a NOTIFY during a pump makes
 * the pump go round again), and a freed slot claims only when work was left
 * behind for want of slots.
 */
export class Dispatcher<T extends Claimed> {
  private running = new Map<string, { controller: AbortController; runId: string }>();
  private pumping = false;
  private again = false;
  /** Jobs were left queued when the slots were last full. */
  private backlog = false;
  private timer: NodeJS.Timeout | null = null;
  private unlisten: Array<() => Promise<void>> = [];
  private stopped = false;
  private readonly labels: Set<string>;

  constructor(private readonly options: DispatcherOptions<T>) {
    this.labels = new Set(options.labels);
  }

  get busy(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    const jobs = await this.options.listen.listen("slipway_jobs", (pool) => {
      if (this.serves(pool)) void this.pump();
    });
    const cancels = await this.options.listen.listen("slipway_cancel", (runId) => this.cancelRun(runId));
    this.unlisten.push(() => jobs.unlisten(), () => cancels.unlisten());
    // Listening first: a job queued from here on is heard, and the first claim finds those queued before.
    this.timer = setInterval(() => void this.pump(), POLL_MS);
    await this.pump();
  }

  /** Stops taking work and waits for the jobs running here to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.unlisten.map((u) => u().catch(() => undefined)));
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 50));
  }

  /** Aborts every job running here (shutdown after the grace period), saying why: the worker stops, nobody cancelled. */
  abortAll(): void {
    for (const { controller } of this.running.values()) controller.abort(new WorkerStopping());
  }

  private cancelRun(runId: string) {
    for (const entry of this.running.values()) if (entry.runId === runId) entry.controller.abort();
  }

  private serves(pool: string): boolean {
    const labels = queueLabels(pool);
    return labels !== null && labels.every((l) => this.labels.has(l));
  }

  /** Claims until the pools are empty or every slot is taken; one pump at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (!this.stopped) {
          const free = this.options.concurrency - this.running.size;
          if (free <= 0) {
            this.backlog = true;
            break;
          }
          const claimed = await this.options.claim(free);
          for (const job of claimed) this.launch(job);
          if (claimed.length < free) {
            this.backlog = false;
            break;
          }
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      this.options.onError(error as Error);
    } finally {
      this.pumping = false;
    }
  }

  private launch(claimed: T) {
    const controller = new AbortController();
    this.running.set(claimed.job.id, { controller, runId: claimed.run.id });
    void this.options
      .handle(claimed, controller.signal)
      .catch((error: Error) => this.options.onError(error))
      .finally(() => {
        this.running.delete(claimed.job.id);
        if (!this.stopped && this.backlog) void this.pump();
      });
  }
}
