import { afterEach, describe, expect, it, vi } from "vitest";
import { openEventStream } from "./event-stream";

const encoder = new TextEncoder();

/** A response whose body arrives in the given pieces, split wherever the test likes. */
function streamed(pieces: string[], status = 200) {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
  return new Response(body, { status, headers: { "content-type": "text/event-stream" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("openEventStream", () => {
  it("parses events split across chunks, multi-line data and comments", async () => {
    const events: [string, string][] = [];
    const done = new Promise<void>((resolve) => {
      vi.stubGlobal(
        "fetch",
        vi.fn(async () => streamed([": keep-alive\n\nretry: 10\n\nevent: lin", 'es\nid: 3\ndata: {"a":', "1}\n\ndata: one\ndata: two\n\nevent: end\ndata: {}\n\n"])),
      );
      const close = openEventStream("/stream", {
        onEvent: (event, data) => {
          events.push([event, data]);
          if (event === "end") {
            close();
            resolve();
          }
        },
        onError: () => undefined,
      });
    });
    await done;
    expect(events).toEqual([
      ["lines", '{"a":1}'],
      ["message", "one\ntwo"],
      ["end", "{}"],
    ]);
  });

  it("reconnects after a drop with the last event id, and stops for good on a refusal with the server's message", async () => {
    const calls: (string | null)[] = [];
    const fetchMock = vi.fn(async (_url: string, init: RequestInit) => {
      calls.push((init.headers as Record<string, string>)["last-event-id"] ?? null);
      if (calls.length === 1) return streamed(["retry: 5\n\nid: 42\nevent: lines\ndata: x\n\n"]);
      return new Response("You are not a member of the project.\n", { status: 403 });
    });
    vi.stubGlobal("fetch", fetchMock);
    const errors: [string, boolean][] = [];
    await new Promise<void>((resolve) => {
      openEventStream("/stream", {
        onEvent: () => undefined,
        onError: (message, fatal) => {
          errors.push([message, fatal]);
          if (fatal) resolve();
        },
      });
    });
    expect(calls).toEqual([null, "42"]);
    expect(errors.at(-1)).toEqual(["You are not a member of the project.", true]);
    expect(errors[0][1]).toBe(false);
  });
});
