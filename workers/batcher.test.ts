import { describe, expect, it } from "vitest";
import { Batcher } from "./batcher";

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

describe("Batcher", () => {
  it("sends the first call at once and gathers the calls made meanwhile into one batch", async () => {
    const gate = deferred();
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        batches.push(items);
        return items.map((n) => n * 10);
      },
      async (item) => {
        batches.push([item]);
        await gate.promise;
        return item * 10;
      },
    );
    const first = batcher.add(1);
    const rest = [2, 3, 4].map((n) => batcher.add(n));
    expect(batches).toEqual([[1]]);
    gate.release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it("retries each call of a failed batch on its own, so only the bad one fails", async () => {
    const gate = deferred();
    const batcher = new Batcher<number, string>(
      async () => {
        throw new Error("the batch failed");
      },
      async (item) => {
        await gate.promise;
        if (item === 3) throw new Error(`item ${item} is bad`);
        return `ok ${item}`;
      },
    );
    const calls = [1, 2, 3, 4].map((n) => batcher.add(n).catch((error: Error) => error.message));
    gate.release();
    expect(await Promise.all(calls)).toEqual(["ok 1", "ok 2", "item 3 is bad", "ok 4"]);
  });

  it("splits a long queue into batches of at most the given size", async () => {
    const gate = deferred();
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        sizes.push(items.length);
        return items;
      },
      async (item) => {
        sizes.push(1);
        await gate.promise;
        return item;
      },
      2,
    );
    const calls = [1, 2, 3, 4, 5, 6].map((n) => batcher.add(n));
    gate.release();
    expect(await Promise.all(calls)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sizes).toEqual([1, 2, 2, 1]);
  });
});
