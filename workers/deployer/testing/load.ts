import http from "node:http";

export type LoadStats = {
  ok: number;
  failed: number;
  /** Responses per status code, and "error" for requests that got none. */
  byStatus: Record<string, number>;
  /** Answers per body ("version 1.0.2"), to see which version served. */
  byBody: Record<string, number>;
  /** The first few failures, to say why. */
  failures: string[];
};

/**
 * A bounded load on loopback through the router: `concurrency` loops, each sending one
 * keep-alive GET after another until stopped. Any answer but 200, or no answer, is a failure.
 */
export class LoadGenerator {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly agent: http.Agent;
  readonly stats: LoadStats = { ok: 0, failed: 0, byStatus: {}, byBody: {}, failures: [] };

  constructor(
    private readonly url: string,
    private readonly concurrency = 50,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  }

  start(): this {
    this.running = true;
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
    return this;
  }

  async stop(): Promise<LoadStats> {
    this.running = false;
    await Promise.all(this.loops);
    this.agent.destroy();
    return this.stats;
  }

  /** Zeroes the counters (e.g. once the stable version serves, before a deployment starts). */
  reset(): void {
    Object.assign(this.stats, { ok: 0, failed: 0, byStatus: {}, byBody: {}, failures: [] });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const outcome = await this.once();
      const key = outcome.status === null ? "error" : String(outcome.status);
      this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
      if (outcome.status === 200) {
        this.stats.ok++;
        this.stats.byBody[outcome.body] = (this.stats.byBody[outcome.body] ?? 0) + 1;
      } else {
        this.stats.failed++;
        if (this.stats.failures.length < 10) this.stats.failures.push(`${key}: ${outcome.body}`);
      }
    }
  }

  private once(): Promise<{ status: number | null; body: string }> {
    return new Promise((resolve) => {
      const request = http.get(this.url, { agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? null, body: Buffer.concat(chunks).toString().trim() }));
        response.on("error", (error) => resolve({ status: null, body: error.message }));
      });
      request.on("error", (error) => resolve({ status: null, body: error.message }));
    });
  }
}
