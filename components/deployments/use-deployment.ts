"use client";

import { useEffect, useState } from "react";
import superjson, { type SuperJSONResult } from "superjson";
import { openEventStream } from "@/components/log-viewer/event-stream";
import { trpc } from "@/components/providers/trpc";
import type { LiveState } from "@/components/runs/use-run-events";
import type { MetricsSample } from "@/server/schemas/deployment";
import type { DeploymentDetail } from "./format";

/** Samples kept for the charts: two minutes at one every two seconds. */
const KEEP = 60;

/**
 * A deployment kept current by its event stream (`deployment` events into the query cache)
 * and the router's per-version measurements as they are sampled (`metrics` events).
 */
export function useDeployment(projectId: string, deploymentId: string) {
  const utils = trpc.useUtils();
  const query = trpc.deployments.get.useQuery({ projectId, deploymentId });
  const [samples, setSamples] = useState<MetricsSample[]>([]);
  const [metricsProblem, setMetricsProblem] = useState<string | null>(null);
  const [live, setLive] = useState<{ state: LiveState; problem?: string }>({ state: "connecting" });

  useEffect(
    () =>
      openEventStream(`/api/deployments/${deploymentId}/events`, {
        onOpen: () => setLive({ state: "live" }),
        onEvent: (event, data) => {
          if (event === "deployment") {
            utils.deployments.get.setData({ projectId, deploymentId }, superjson.deserialize<DeploymentDetail>(JSON.parse(data) as SuperJSONResult));
          } else if (event === "metrics") {
            const sample = JSON.parse(data) as MetricsSample;
            setMetricsProblem(null);
            setSamples((all) => [...all.slice(-(KEEP - 1)), sample]);
          } else if (event === "metrics-unavailable") {
            setMetricsProblem((JSON.parse(data) as { message: string }).message);
          } else if (event === "failure") {
            setLive({ state: "failed", problem: (JSON.parse(data) as { message: string }).message });
          }
        },
        onError: (message, fatal) => setLive(fatal ? { state: "failed", problem: message } : { state: "reconnecting" }),
      }),
    [projectId, deploymentId, utils],
  );

  return { query, samples, metricsProblem, live };
}
