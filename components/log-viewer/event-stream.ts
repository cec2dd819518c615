/**
 * A Server-Sent Events client over fetch. Chromium's EventSource parses large
 * events slowly (a million log lines took 12 s through it, 4.5 s this way),
 * and it hides why a request was refused; this one reads the server's
 * message. Like EventSource it reconnects after a dropped connection,
 * sending Last-Event-ID so the server resumes where the stream stopped.
 */

export type StreamHandlers = {
  onOpen?: () => void;
  onEvent: (event: string, data: string) => void;
  /** `fatal`: the server refused (4xx), so there is no retry; otherwise it retries by itself. */
  onError: (message: string, fatal: boolean) => void;
};

export function openEventStream(url: string, handlers: StreamHandlers): () => void {
  const abort = new AbortController();
  let lastId: string | null = null;
  let retryMs = 2_000;

  const dispatch = (block: string) => {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(line[colon + 1] === " " ? colon + 2 : colon + 1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") lastId = value;
      else if (field === "retry" && /^\d+$/.test(value)) retryMs = Number(value);
    }
    if (data.length) handlers.onEvent(event, data.join("\n"));
  };

  const connect = async () => {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastId !== null) headers["last-event-id"] = lastId;
    const response = await fetch(url, { headers, cache: "no-store", signal: abort.signal });
    if (!response.ok || !response.body) {
      const text = (await response.text().catch(() => "")).trim();
      const fatal = response.status >= 400 && response.status < 500;
      throw Object.assign(new Error(text || `The server answered ${response.status}.`), { fatal });
    }
    handlers.onOpen?.();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      // Only the new text can complete an event: search from just before it, not from the start again.
      let from = Math.max(0, buffer.length - 1);
      buffer += value.includes("\r") ? value.replace(/\r\n?/g, "\n") : value;
      let start = 0;
      for (let end = buffer.indexOf("\n\n", from); end >= 0; end = buffer.indexOf("\n\n", from)) {
        dispatch(buffer.slice(start, end));
        start = from = end + 2;
        if (abort.signal.aborted) return;
      }
      if (start > 0) buffer = buffer.slice(start);
    }
  };

  void (async () => {
    while (!abort.signal.aborted) {
      try {
        await connect();
        if (abort.signal.aborted) return;
        handlers.onError("The connection closed; reconnecting…", false);
      } catch (error) {
        if (abort.signal.aborted) return;
        const fatal = Boolean((error as { fatal?: boolean }).fatal);
        handlers.onError(fatal ? (error as Error).message : "The connection was lost; reconnecting…", fatal);
        if (fatal) return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();

  return () => abort.abort();
}
