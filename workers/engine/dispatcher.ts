import type PgBoss from "pg-boss";
import type postgres from "postgres";
import { queueLabels, type JobMessage } from "@/server/queue/job-queue";

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
 */
export class Dispatcher {
  private running = new Map<string, Running>();
  private served = new Set<string>();
  private pumping = new Set<string>();
  private again = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private unlisten: Array<() => Promise<void>> = [];
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {}

  get busy(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    await this.refreshQueues();
    const jobs = await this.options.listen.listen("slipway_jobs", (queue) => this.served.has(queue) && void this.pump(queue));
    const cancels = await this.options.listen.listen("slipway_cancel", (runId) => this.cancelRun(runId));
    this.unlisten.push(() => jobs.unlisten(), () => cancels.unlisten());
    this.timers.push(setInterval(() => this.pumpAll(), POLL_MS), setInterval(() => void this.refreshQueues().catch(this.options.onError), QUEUE_REFRESH_MS));
    this.pumpAll();
  }

  /** Stops taking work and waits for the jobs running here to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.unlisten.map((u) => u().catch(() => undefined)));
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 50));
  }

  /** Aborts every job running here (shutdown after the grace period). */
  abortAll(): void {
    for (const { controller } of this.running.values()) controller.abort();
  }

  private cancelRun(runId: string) {
    for (const entry of this.running.values()) if (entry.runId === runId) entry.controller.abort();
  }

  private async refreshQueues() {
    const queues = await this.options.boss.getQueues();
    const mine = new Set(this.options.labels);
    for (const { name } of queues) {
      const labels = queueLabels(name);
      if (labels && labels.every((l) => mine.has(l)) && !this.served.has(name)) {
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
          if (free <= 0) break;
          const jobs = await this.options.boss.fetch<JobMessage>(queue, { batchSize: free });
          if (!jobs || jobs.length === 0) break;
          for (const job of jobs) this.launch(queue, job);
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
      .finally(async () => {
        this.running.delete(job.id);
        await this.options.boss.complete(queue, job.id).catch((error: Error) => this.options.onError(error));
        if (!this.stopped) this.pumpAll();
      });
  }
}
