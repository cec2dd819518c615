import type PgBoss from "pg-boss";
import type postgres from "postgres";
import { queueLabels, type JobMessage } from "@/server/queue/job-queue";
import { WorkerStopping } from "./stopping";

type Running = { controller: AbortController; runId: string };

export type DispatcherOptions = {
  boss: PgBoss;
  /** A connection of its own for LISTEN. */
  listen: postgres.Sql;
  /** The worker's labels: it serves every job queue whose labels it carries all of. */
  labels: string[];
  concurrency: number;
  handle: (message: JobMessage, signal: AbortSignal) => Promise<void>;
  onError: (error: Error) => void;
};

/** How often to look for work anyway, in case a notification was missed (the safety net). */
const POLL_MS = 1000;
const QUEUE_REFRESH_MS = 5000;

/**
 * Takes jobs from pg-boss the moment they are added: a trigger on pg-boss's
 * job table NOTIFYs `slipway_jobs`, and the dispatcher fetches until its
 * queues are empty or its slots are full. Cancellations arrive on
 * `slipway_cancel` and abort the run's jobs running here.
 *
 * Each fetch is a round trip on the way to a job's start, so none is made in
 * vain: a fetch that returns fewer jobs than asked for proves the queue empty
 * (a job committed after it will NOTIFY, and a NOTIFY during a pump makes the
 * pump go round again), and a freed slot fetches only from queues that may
 * still hold work.
 */
export class Dispatcher {
  private running = new Map<string, Running>();
  private served = new Set<string>();
  private pumping = new Set<string>();
  private again = new Set<string>();
  /** Queues that had more work than free slots when last looked at. */
  private backlog = new Set<string>();
  /** Finished pg-boss jobs not yet marked complete, per queue: sent in batches, one request per queue at a time. */
  private completing = new Map<string, { ids: string[]; sending: Promise<void> | null }>();
  private timers: NodeJS.Timeout[] = [];
  private unlisten: Array<() => Promise<void>> = [];
  private stopped = false;
  private readonly labels: Set<string>;

  constructor(private readonly options: DispatcherOptions) {
    this.labels = new Set(options.labels);
  }

  get busy(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    const jobs = await this.options.listen.listen("slipway_jobs", (queue) => this.notified(queue));
    const cancels = await this.options.listen.listen("slipway_cancel", (runId) => this.cancelRun(runId));
    this.unlisten.push(() => jobs.unlisten(), () => cancels.unlisten());
    // Listening first: a job added from here on is heard, and the first fetch of each queue finds those added before.
    await this.refreshQueues();
    this.timers.push(setInterval(() => this.pumpAll(), POLL_MS), setInterval(() => void this.refreshQueues().catch(this.options.onError), QUEUE_REFRESH_MS));
  }

  /** Stops taking work and waits for the jobs running here to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.unlisten.map((u) => u().catch(() => undefined)));
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 50));
    while ([...this.completing.values()].some((c) => c.sending)) await Promise.all([...this.completing.values()].map((c) => c.sending));
  }

  /** Aborts every job running here (shutdown after the grace period), saying why: the worker stops, nobody cancelled. */
  abortAll(): void {
    for (const { controller } of this.running.values()) controller.abort(new WorkerStopping());
  }

  private cancelRun(runId: string) {
    for (const entry of this.running.values()) if (entry.runId === runId) entry.controller.abort();
  }

  /** A queue created after the last refresh is served from its first job on, not from the next refresh. */
  private notified(queue: string) {
    if (!this.served.has(queue) && !this.serves(queue)) return;
    this.served.add(queue);
    void this.pump(queue);
  }

  private serves(queue: string): boolean {
    const labels = queueLabels(queue);
    return labels !== null && labels.every((l) => this.labels.has(l));
  }

  private async refreshQueues() {
    for (const { name } of await this.options.boss.getQueues()) {
      if (this.serves(name) && !this.served.has(name)) {
        this.served.add(name);
        void this.pump(name);
      }
    }
  }

  private pumpAll() {
    for (const queue of this.served) void this.pump(queue);
  }

  /** Fetches from one queue until it is empty or every slot is taken; one pump per queue at a time. */
  private async pump(queue: string): Promise<void> {
    if (this.pumping.has(queue)) {
      this.again.add(queue);
      return;
    }
    this.pumping.add(queue);
    try {
      do {
        this.again.delete(queue);
        while (!this.stopped) {
          const free = this.options.concurrency - this.running.size;
          if (free <= 0) {
            this.backlog.add(queue);
            break;
          }
          const jobs = await this.options.boss.fetch<JobMessage>(queue, { batchSize: free });
          for (const job of jobs ?? []) this.launch(queue, job);
          if (!jobs || jobs.length < free) {
            this.backlog.delete(queue);
            break;
          }
        }
      } while (this.again.has(queue) && !this.stopped);
    } catch (error) {
      this.options.onError(error as Error);
    } finally {
      this.pumping.delete(queue);
    }
  }

  private launch(queue: string, job: PgBoss.Job<JobMessage>) {
    const controller = new AbortController();
    this.running.set(job.id, { controller, runId: job.data.runId });
    void this.options
      .handle(job.data, controller.signal)
      .catch((error: Error) => this.options.onError(error))
      .finally(() => {
        this.running.delete(job.id);
        this.complete(queue, job.id);
        if (!this.stopped) for (const waiting of this.backlog) void this.pump(waiting);
      });
  }

  /**
   * Marks a pg-boss job complete. Slipway's own tables hold the job's result
   * (pg-boss only delivers), so this can trail behind: ids that finish while a
   * request is out go together in the next one.
   */
  private complete(queue: string, id: string) {
    let entry = this.completing.get(queue);
    if (!entry) this.completing.set(queue, (entry = { ids: [], sending: null }));
    entry.ids.push(id);
    if (entry.sending) return;
    const send = async (current: NonNullable<typeof entry>) => {
      while (current.ids.length > 0) {
        const ids = current.ids.splice(0);
        await this.options.boss.complete(queue, ids).catch((error: Error) => this.options.onError(error));
      }
      current.sending = null;
    };
    entry.sending = send(entry);
  }
}
