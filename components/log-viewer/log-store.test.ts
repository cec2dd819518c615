import { describe, expect, it } from "vitest";
import { LogSearch } from "./log-search";
import { LogStore } from "./log-store";

describe("LogStore", () => {
  it("appends lines in order and skips lines it already holds, as after a reconnect", () => {
    const store = new LogStore();
    store.append([
      { n: 0, at: 1, text: "a" },
      { n: 1, at: 2, text: "bb" },
    ]);
    store.append([
      { n: 1, at: 2, text: "bb" },
      { n: 2, at: 3, text: "ccc" },
    ]);
    expect(store.texts).toEqual(["a", "bb", "ccc"]);
    expect(store.times).toEqual([1, 2, 3]);
    expect(store.widest).toBe(3);
  });
});

describe("LogSearch", () => {
  it("finds lines ignoring case and colour codes", () => {
    const search = new LogSearch(["Building", "\x1b[31mERROR\x1b[0m: disk", "fine", "an error again"], "error");
    expect(search.scan()).toBe(true);
    expect(search.matches).toEqual([1, 3]);
  });

  it("searches a million lines in slices that each stop after their time budget", () => {
    const texts = Array.from({ length: 1_000_000 }, (_, i) => (i % 50_000 === 7 ? `needle at ${i}` : `line ${i} of plain output`));
    const search = new LogSearch(texts, "NEEDLE");
    let slices = 0;
    while (!search.scan(4)) slices++;
    expect(search.matches).toHaveLength(20);
    expect(search.matches[0]).toBe(7);
    // Each slice yields to the page; one pass over everything would freeze it.
    expect(slices).toBeGreaterThan(0);
  });

  it("picks up lines added after it finished", () => {
    const texts = ["one"];
    const search = new LogSearch(texts, "two");
    search.scan();
    texts.push("two");
    expect(search.done).toBe(false);
    search.scan();
    expect(search.matches).toEqual([1]);
  });
});
