"use client";

import { useEffect, useState, useSyncExternalStore } from "react";
import { openEventStream } from "./event-stream";
import { LogStore, type StreamLine } from "./log-store";

/**
 * Streams a job's log into a LogStore from its first line. `attempt` reopens
 * the stream when the job runs again after it had ended, from the last line
 * held, so the lines of the new attempt follow the old ones.
 */
export function useLogStream(jobId: string, attempt: number): LogStore {
  const [store] = useState(() => new LogStore());
  useEffect(() => {
    store.setConnection(store.length ? "reconnecting" : "connecting");
    const close = openEventStream(`/api/jobs/${jobId}/log/stream?from=${store.length}`, {
      onOpen: () => store.setConnection("live"),
      onEvent: (event, data) => {
        if (event === "lines") store.append((JSON.parse(data) as { lines: StreamLine[] }).lines);
        else if (event === "end") {
          store.setConnection("ended", { endStatus: (JSON.parse(data) as { status: string }).status });
          // The server closes a finished log; reconnecting would only replay its end.
          close();
        } else if (event === "failure") {
          store.setConnection("failed", { problem: (JSON.parse(data) as { message: string }).message });
          close();
        }
      },
      onError: (message, fatal) => store.setConnection(fatal ? "failed" : "reconnecting", { problem: fatal ? message : undefined }),
    });
    return close;
  }, [jobId, attempt, store]);
  return store;
}

/** Re-renders the caller at most once per animation frame while the store changes. */
export function useStoreVersion(store: LogStore): number {
  return useSyncExternalStore(store.subscribe, store.getVersion, store.getVersion);
}
