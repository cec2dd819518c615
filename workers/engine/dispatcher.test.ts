import type PgBoss from "pg-boss";
import type postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import type { JobMessage } from "@/server/queue/job-queue";
import { Dispatcher } from "./dispatcher";

/** A pg-boss stand-in whose fetches and completes the test answers by hand, and a LISTEN it can notify on. */
function harness({ queues = ["jobs"], concurrency = 2, labels = [] as string[] } = {}) {
  const fetches: Array<{ queue: string; batchSize: number; answer: (ids: string[]) => void; answered?: boolean }> = [];
  const completes: Array<{ queue: string; ids: string[]; done: () => void; answered?: boolean }> = [];
  const listeners = new Map<string, (payload: string) => void>();
  const finishers = new Map<string, () => void>();
  const boss = {
    getQueues: async () => queues.map((name) => ({ name })),
    fetch: (queue: string, { batchSize }: { batchSize: number }) =>
      new Promise((resolve) => {
        const entry = {
          queue,
          batchSize,
          answer: (ids: string[]) => {
            entry.answered = true;
            resolve(ids.map((id) => ({ id, data: { jobId: id, runId: "run", attempt: 1 } })));
          },
        } as (typeof fetches)[number];
        fetches.push(entry);
      }),
    complete: (queue: string, ids: string[]) =>
      new Promise<void>((resolve) => {
        const entry = { queue, ids, done: () => ((entry.answered = true), resolve()) } as (typeof completes)[number];
        completes.push(entry);
      }),
  } as unknown as PgBoss;
  const listen = {
    listen: async (channel: string, fn: (payload: string) => void) => {
      listeners.set(channel, fn);
      return { unlisten: async () => void listeners.delete(channel) };
    },
  } as unknown as postgres.Sql;
  const dispatcher = new Dispatcher({
    boss,
    listen,
    labels,
    concurrency,
    onError: (error) => {
      throw error;
    },
    handle: (message: JobMessage) => new Promise<void>((resolve) => finishers.set(message.jobId, resolve)),
  });
  return { dispatcher, fetches, completes, finishers, notify: (queue: string) => listeners.get("slipway_jobs")!(queue) };
}

/** Lets the dispatcher's pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

async function started(options?: Parameters<typeof harness>[0]) {
  const h = harness(options);
  await h.dispatcher.start();
  stop = async () => {
    const stopping = h.dispatcher.stop();
    // Answer whatever is still open until nothing is: stop() waits for running jobs and completions.
    for (let round = 0; round < 20; round++) {
      for (const finish of h.finishers.values()) finish();
      for (const c of h.completes) if (!c.answered) c.done();
      for (const f of h.fetches) if (!f.answered) f.answer([]);
      await settle();
    }
    await stopping;
  };
  await settle();
  return h;
}

describe("the dispatcher", () => {
  it("fetches again when a job is added while a fetch is under way", async () => {
    const h = await started();
    expect(h.fetches).toHaveLength(1);
    h.notify("jobs");
    h.fetches[0].answer([]);
    await settle();
    // The notice came during the first fetch, whose snapshot may predate the job: a second fetch goes out.
    expect(h.fetches).toHaveLength(2);
    h.fetches[1].answer(["a"]);
    await settle();
    expect([...h.finishers.keys()]).toEqual(["a"]);
  });

  it("stops after a fetch that returns fewer jobs than it asked for, and goes on after a full one", async () => {
    const h = await started({ concurrency: 3 });
    h.fetches[0].answer(["a"]);
    await settle();
    expect(h.fetches).toHaveLength(1);
    h.notify("jobs");
    await settle();
    expect(h.fetches[1].batchSize).toBe(2);
    h.fetches[1].answer(["b", "c"]);
    await settle();
    // Every slot is taken now: no fetch until one is free, then one for the queue that filled them.
    expect(h.fetches).toHaveLength(2);
    h.finishers.get("a")!();
    await settle();
    expect(h.fetches).toHaveLength(3);
    expect(h.fetches[2].batchSize).toBe(1);
  });

  it("does not fetch when a job ends and its queue was found empty", async () => {
    const h = await started();
    h.fetches[0].answer(["a"]);
    await settle();
    h.finishers.get("a")!();
    await settle();
    expect(h.fetches).toHaveLength(1);
    expect(h.completes.map((c) => c.ids)).toEqual([["a"]]);
  });

  it("serves a queue created after it started from that queue's first notice", async () => {
    const h = await started({ queues: ["jobs"], labels: ["gpu"] });
    h.fetches[0].answer([]);
    h.notify("jobs:gpu");
    // A worker without the "arm" label does not serve that pool.
    h.notify("jobs:arm");
    await settle();
    expect(h.fetches.map((f) => f.queue)).toEqual(["jobs", "jobs:gpu"]);
  });

  it("marks jobs that end while a completion is under way complete together in the next one", async () => {
    const h = await started({ concurrency: 3 });
    h.fetches[0].answer(["a", "b", "c"]);
    await settle();
    h.finishers.get("a")!();
    await settle();
    h.finishers.get("b")!();
    h.finishers.get("c")!();
    await settle();
    expect(h.completes.map((c) => c.ids)).toEqual([["a"]]);
    h.completes[0].done();
    await settle();
    expect(h.completes.map((c) => c.ids)).toEqual([["a"], ["b", "c"]]);
  });
});
