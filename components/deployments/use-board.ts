"use client";

import { useEffect, useState } from "react";
import superjson, { type SuperJSONResult } from "superjson";
import { openEventStream } from "@/components/log-viewer/event-stream";
import { trpc } from "@/components/providers/trpc";
import type { LiveState } from "@/components/runs/use-run-events";
import type { Board } from "./format";

/**
 * The project's environments board, kept current by its event stream: the first answer from
 * deployments.board, every change after it (a deployment anywhere in the project, or the
 * health every few seconds) from the server's `board` events, written into the same cache.
 */
export function useBoard(projectId: string) {
  const utils = trpc.useUtils();
  const query = trpc.deployments.board.useQuery({ projectId });
  const [live, setLive] = useState<{ state: LiveState; problem?: string }>({ state: "connecting" });

  useEffect(
    () =>
      openEventStream(`/api/projects/${projectId}/deployments/events`, {
        onOpen: () => setLive({ state: "live" }),
        onEvent: (event, data) => {
          if (event === "board") utils.deployments.board.setData({ projectId }, superjson.deserialize<Board>(JSON.parse(data) as SuperJSONResult));
          else if (event === "failure") setLive({ state: "failed", problem: (JSON.parse(data) as { message: string }).message });
        },
        onError: (message, fatal) => setLive(fatal ? { state: "failed", problem: message } : { state: "reconnecting" }),
      }),
    [projectId, utils],
  );

  return { query, live };
}
