"use client";

import { useEffect, useState } from "react";
import superjson, { type SuperJSONResult } from "superjson";
import { trpc } from "@/components/providers/trpc";
import type { RouterOutputs } from "@/components/ui/api-types";

export type LiveRun = RouterOutputs["runs"]["get"];
export type Connection = "connecting" | "live" | "reconnecting" | "failed";

/**
 * A run kept current by the server: read once, then every change arrives as
 * a `run` event on /api/runs/<id>/events (no polling). The browser's
 * EventSource reconnects by itself after a dropped connection.
 */
export function useRunLive(projectId: string, runId: string) {
  const utils = trpc.useUtils();
  const query = trpc.runs.get.useQuery({ projectId, runId }, { refetchOnWindowFocus: false });
  const [connection, setConnection] = useState<Connection>("connecting");
  useEffect(() => {
    const source = new EventSource(`/api/runs/${runId}/events`);
    source.onopen = () => setConnection("live");
    source.addEventListener("run", (event) => {
      const { run } = superjson.deserialize<{ run: LiveRun }>(JSON.parse((event as MessageEvent<string>).data) as SuperJSONResult);
      utils.runs.get.setData({ projectId, runId }, run);
      setConnection("live");
    });
    source.addEventListener("failure", () => {
      setConnection("failed");
      source.close();
    });
    source.onerror = () => setConnection(source.readyState === EventSource.CLOSED ? "failed" : "reconnecting");
    return () => source.close();
  }, [projectId, runId, utils]);
  return { query, connection };
}
