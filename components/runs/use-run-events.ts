"use client";

import { useEffect, useState } from "react";
import superjson, { type SuperJSONResult } from "superjson";
import { openEventStream } from "@/components/log-viewer/event-stream";
import { trpc } from "@/components/providers/trpc";
import type { ArtifactSummary, RunDetail } from "./format";

export type LiveState = "connecting" | "live" | "reconnecting" | "failed";

/**
 * The run with its jobs, kept current by the run's event stream: the first
 * answer comes from runs.get, every change after it from the server's `run`
 * events, written into the same query cache so every reader sees it.
 */
export function useRunEvents(projectId: string, runId: string) {
  const utils = trpc.useUtils();
  const query = trpc.runs.get.useQuery({ projectId, runId });
  const [artifacts, setArtifacts] = useState<ArtifactSummary[]>([]);
  const [live, setLive] = useState<{ state: LiveState; problem?: string }>({ state: "connecting" });

  useEffect(
    () =>
      openEventStream(`/api/runs/${runId}/events`, {
        onOpen: () => setLive({ state: "live" }),
        onEvent: (event, data) => {
          if (event === "run") {
            const payload = superjson.deserialize<{ run: RunDetail; artifacts: ArtifactSummary[] }>(JSON.parse(data) as SuperJSONResult);
            utils.runs.get.setData({ projectId, runId }, payload.run);
            setArtifacts(payload.artifacts);
          } else if (event === "failure") {
            setLive({ state: "failed", problem: (JSON.parse(data) as { message: string }).message });
          }
        },
        // Refused (signed out, access removed) is final; a dropped connection retries by itself.
        onError: (message, fatal) => setLive(fatal ? { state: "failed", problem: message } : { state: "reconnecting" }),
      }),
    [projectId, runId, utils],
  );

  return { query, artifacts, live };
}
