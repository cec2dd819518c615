import type postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { Dispatcher } from "./dispatcher";

type Fake = { job: { id: string }; run: { id: string } };

/** Claims the test answers by hand, and a LISTEN it can notify on. */
function harness({ concurrency = 2, labels = [] as string[] } = {}) {
  const claims: Array<{ limit: number; answer: (ids: string[]) => void; answered?: boolean }> = [];
  const listeners = new Map<string, (payload: string) => void>();
  const finishers = new Map<string, () => void>();
  const aborted: string[] = [];
  const listen = {
    listen: async (channel: string, fn: (payload: string) => void) => {
      listeners.set(channel, fn);
      return { unlisten: async () => void listeners.delete(channel) };
    },
  } as unknown as postgres.Sql;
  const dispatcher = new Dispatcher<Fake>({
    listen,
    labels,
    concurrency,
    claim: (limit) =>
      new Promise((resolve) => {
        const entry = {
          limit,
          answer: (ids: string[]) => {
            entry.answered = true;
            resolve(ids.map((id) => ({ job: { id }, run: { id: `run-${id}` } })));
          },
        } as (typeof claims)[number];
        claims.push(entry);
      }),
    onError: (error) => {
      throw error;
    },
    handle: ({ job }, signal) =>
      new Promise<void>((resolve) => {
        finishers.set(job.id, resolve);
        signal.addEventListener("abort", () => aborted.push(job.id));
      }),
  });
  return { dispatcher, claims, finishers, aborted, notify: (channel: string, payload: string) => listeners.get(channel)!(payload) };
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
  // start() resolves after its first claim, which the tests answer.
  void h.dispatcher.start();
  stop = async () => {
    const stopping = h.dispatcher.stop();
    // Answer whatever is still open until nothing is: stop() waits for running jobs.
    for (let round = 0; round < 20; round++) {
      for (const finish of h.finishers.values()) finish();
      for (const c of h.claims) if (!c.answered) c.answer([]);
      await settle();
    }
    await stopping;
  };
  await settle();
  return h;
}

describe("the dispatcher", () => {
  it("claims again when a job is queued while a claim is under way", async () => {
    const h = await started();
    expect(h.claims).toHaveLength(1);
    h.notify("slipway_jobs", "jobs");
    h.claims[0].answer([]);
    await settle();
    // The notice came during the first claim, whose snapshot may predate the job: a second claim goes out.
    expect(h.claims).toHaveLength(2);
    h.claims[1].answer(["a"]);
    await settle();
    expect([...h.finishers.keys()]).toEqual(["a"]);
  });

  it("stops after a claim that returns fewer jobs than it asked for, and goes on after a full one", async () => {
    const h = await started({ concurrency: 3 });
    h.claims[0].answer(["a"]);
    await settle();
    expect(h.claims).toHaveLength(1);
    h.notify("slipway_jobs", "jobs");
    await settle();
    expect(h.claims[1].limit).toBe(2);
    h.claims[1].answer(["b", "c"]);
    await settle();
    // Every slot is taken now: no claim until one is free, then one for the work left behind.
    expect(h.claims).toHaveLength(2);
    h.finishers.get("a")!();
    await settle();
    expect(h.claims).toHaveLength(3);
    expect(h.claims[2].limit).toBe(1);
  });

  it("does not claim when a job ends and the pools were found empty", async () => {
    const h = await started();
    h.claims[0].answer(["a"]);
    await settle();
    h.finishers.get("a")!();
    await settle();
    expect(h.claims).toHaveLength(1);
  });

  it("wakes for the pools its labels cover and not for others", async () => {
    const h = await started({ labels: ["gpu"] });
    h.claims[0].answer([]);
    await settle();
    // A worker without the "arm" label does not serve that pool.
    h.notify("slipway_jobs", "jobs:arm");
    await settle();
    expect(h.claims).toHaveLength(1);
    h.notify("slipway_jobs", "jobs:gpu");
    await settle();
    expect(h.claims).toHaveLength(2);
  });

  it("aborts the jobs of a cancelled run and leaves the others running", async () => {
    const h = await started();
    h.claims[0].answer(["a", "b"]);
    await settle();
    h.notify("slipway_cancel", "run-b");
    expect(h.aborted).toEqual(["b"]);
  });
});
