import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import { LogWriter } from "./log-writer";

/** A database whose one statement the writer sends is recorded: each call is one batch of lines. */
function recordingDb() {
  const batches: string[][] = [];
  const $client = (_strings: TemplateStringsArray, ...values: unknown[]) => {
    // The first value holds the chunks as JSON rows.
    for (const row of JSON.parse(String(values[0])) as Array<{ content: string }>) batches.push(row.content.split("\n"));
    return Promise.resolve([]);
  };
  return { db: { $client } as unknown as Database, batches };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the log writer", () => {
  it("writes the first line after a quiet spell at once, with what came in the same instant", async () => {
    const { db, batches } = recordingDb();
    const writer = new LogWriter(db, "job", 0, { flushMs: 50 });
    writer.write("##[step 1] build");
    writer.write("compiling");
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([["##[step 1] build", "compiling"]]);
  });

  it("sends a chatty step's lines at most every flushMs", async () => {
    const { db, batches } = recordingDb();
    const writer = new LogWriter(db, "job", 0, { flushMs: 50 });
    writer.write("one");
    await vi.advanceTimersByTimeAsync(1);
    writer.write("two");
    await vi.advanceTimersByTimeAsync(10);
    writer.write("three");
    await vi.advanceTimersByTimeAsync(20);
    expect(batches).toEqual([["one"]]);
    await vi.advanceTimersByTimeAsync(30);
    expect(batches).toEqual([["one"], ["two", "three"]]);
    // Quiet again for longer than flushMs: the next line goes at once.
    await vi.advanceTimersByTimeAsync(100);
    writer.write("four");
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.at(-1)).toEqual(["four"]);
  });

  it("writes everything left on flush, in order", async () => {
    const { db, batches } = recordingDb();
    const writer = new LogWriter(db, "job", 0, { flushMs: 50, maxLines: 2 });
    for (const line of ["a", "b", "c"]) writer.write(line);
    await writer.flush();
    expect(batches).toEqual([["a", "b"], ["c"]]);
    expect(writer.linesWritten).toBe(3);
  });
});
