import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { LiveEvents, serialQueue, type JobLogEvent, type RunChange } from "./live-events";

let t: TestDatabase;
let hub: LiveEvents | null = null;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterEach(async () => {
  await hub?.close();
  hub = null;
});

afterAll(async () => {
  await t.close();
});

const jobA = "00000000-0000-4000-8000-00000000000a";
const jobB = "00000000-0000-4000-8000-00000000000b";
const runA = "00000000-0000-4000-8000-0000000000aa";

const notifyLog = (notice: object) => t.db.$client`select pg_notify('slipway_logs', ${JSON.stringify(notice)})`;
const notifyRun = (runId: string) => t.db.$client`select pg_notify('slipway_runs', ${runId})`;

async function eventually(check: () => void, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe("LiveEvents", () => {
  it("fans log chunks out to the subscribers of that job only, with their lines and times", async () => {
    hub = new LiveEvents(t.url);
    const a: JobLogEvent[] = [];
    const b: JobLogEvent[] = [];
    hub.subscribeJobLog(jobA, (e) => void (e.kind === "chunk" && a.push(e)));
    hub.subscribeJobLog(jobB, (e) => void (e.kind === "chunk" && b.push(e)));
    expect(await hub.ready()).toBe(true);

    await notifyLog({ j: jobA, f: 0, n: 2, c: "one\ntwo", t: [10, 20] });
    await notifyLog({ j: jobA, f: 2, n: 500 });
    await eventually(() => expect(a).toHaveLength(2));
    expect(a[0]).toEqual({ kind: "chunk", firstLine: 0, count: 2, lines: [{ text: "one", at: 10 }, { text: "two", at: 20 }] });
    // Content left out of a large notice: the subscriber reads the chunk from the table.
    expect(a[1]).toEqual({ kind: "chunk", firstLine: 2, count: 500, lines: null });
    expect(b).toEqual([]);
  });

  it("tells run subscribers about changes until they unsubscribe", async () => {
    hub = new LiveEvents(t.url);
    const seen: RunChange[] = [];
    const unsubscribe = hub.subscribeRun(runA, (e) => void (e.kind === "changed" && seen.push(e)));
    await hub.ready();
    await notifyRun(runA);
    await notifyRun("00000000-0000-4000-8000-0000000000ff");
    await eventually(() => expect(seen).toEqual([{ kind: "changed" }]));
    unsubscribe();
    await notifyRun(runA);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toHaveLength(1);
  });

  it("lets a fast subscriber keep up while a stuck one is told to resync instead of buffering without end", async () => {
    hub = new LiveEvents(t.url, { mailboxLimit: 5 });
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const slow: JobLogEvent[] = [];
    const fast: JobLogEvent[] = [];
    hub.subscribeJobLog(jobA, (e) => void (e.kind === "chunk" && fast.push(e)));
    await hub.ready();
    // Subscribed once listening, so what it hears are the chunks below and the resync standing in for those it missed.
    hub.subscribeJobLog(jobA, async (e) => {
      slow.push(e);
      await stuck;
    });
    // In one transaction, so they arrive together, as a busy worker's do: the fast subscriber keeps up with a burst too.
    await t.db.$client`select pg_notify('slipway_logs', json_build_object('j', ${jobA}::text, 'f', i, 'n', 1, 'c', 'line ' || i, 't', json_build_array(i))::text) from generate_series(0, 19) as i`;
    await eventually(() => expect(fast).toHaveLength(20));
    expect(slow).toHaveLength(1);
    release();
    // What overflowed became one resync (reread from the table); later chunks follow it as usual.
    await eventually(() => expect(slow.at(-1)).toMatchObject({ kind: "chunk", firstLine: 19 }));
    expect(slow).toContainEqual({ kind: "resync" });
    // One delivered before it got stuck, then at most the bounded mailbox.
    expect(slow.length).toBeLessThanOrEqual(1 + 5);
  });

  it("reconnects when the LISTEN connection is killed and tells subscribers to resync", async () => {
    hub = new LiveEvents(t.url, { minRetryMs: 50, maxRetryMs: 200 });
    const seen: RunChange[] = [];
    hub.subscribeRun(runA, (e) => void seen.push(e));
    await hub.ready();
    // The first connection tells subscribers that were waiting for it to read what they may have missed.
    await eventually(() => expect(seen).toEqual([{ kind: "resync" }]));
    await t.db.$client`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'slipway-live-events' and datname = current_database()`;
    await eventually(() => expect(seen).toEqual([{ kind: "resync" }, { kind: "resync" }]));
    expect(hub.listening).toBe(true);
    await notifyRun(runA);
    await eventually(() => expect(seen.at(-1)).toEqual({ kind: "changed" }));
  });
});

describe("serialQueue", () => {
  it("runs tasks one after another in the order given, even when one fails", async () => {
    const serial = serialQueue();
    const order: string[] = [];
    const slow = serial(async () => {
      await new Promise((r) => setTimeout(r, 30));
      order.push("slow");
    });
    const failing = serial(async () => {
      order.push("failing");
      throw new Error("no");
    });
    const quick = serial(async () => void order.push("quick"));
    await Promise.allSettled([slow, failing, quick]);
    await expect(failing).rejects.toThrow("no");
    expect(order).toEqual(["slow", "failing", "quick"]);
  });
});
