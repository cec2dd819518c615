/**
 * Gathers calls into batches without waiting for them: the first call goes at
 * once, and calls made while a batch is out go together in the next one. An
 * idle worker thus pays no delay, and a busy one sends one statement for many
 * jobs. When a whole batch fails, each call is retried on its own, so one bad
 * item cannot fail the others.
 */
export class Batcher<In, Out> {
  private pending: Array<{ item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  private sending = false;
  private drained: Array<() => void> = [];

  constructor(
    private readonly sendBatch: (items: In[]) => Promise<Out[]>,
    private readonly sendOne: (item: In) => Promise<Out>,
    private readonly maxBatch = 64,
  ) {}

  /** Calls not yet sent. */
  get waiting(): number {
    return this.pending.length;
  }

  add(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain() {
    this.sending = true;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      if (batch.length === 1) {
        await this.sendOne(batch[0].item).then(batch[0].resolve, batch[0].reject);
        continue;
      }
      try {
        const results = await this.sendBatch(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch {
        await Promise.all(batch.map((b) => this.sendOne(b.item).then(b.resolve, b.reject)));
      }
    }
    this.sending = false;
    for (const resolve of this.drained.splice(0)) resolve();
  }

  /** Resolves when every call made so far has been answered. */
  idle(): Promise<void> {
    return this.sending ? new Promise((resolve) => this.drained.push(resolve)) : Promise.resolve();
  }
}
