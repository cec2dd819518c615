"use client";

import "@xyflow/react/dist/style.css";
import { Background, Controls, MarkerType, MiniMap, ReactFlow, useReactFlow, type Edge } from "@xyflow/react";
import { useEffect, useMemo, useRef, useState } from "react";
import type { GraphEdge } from "@/server/pipeline/document";
import type { Positions } from "@/components/pipeline-editor/history";
import { NODE_HEIGHT, NODE_WIDTH, placeNewNodes } from "@/components/pipeline-editor/layout";
import type { RunGroup, RunJob } from "./run-model";
import { RunNode, type RunFlowNode } from "./run-node";

// Module scope, once: a new object per render would make React Flow rebuild every node.
const nodeTypes = { run: RunNode };

type Props = {
  groups: RunGroup[];
  edges: GraphEdge[];
  critical: string[];
  now: number;
  selectedJob: string | null;
  onOpenJob: (job: RunJob) => void;
  /** Where a job's log is on the run page. */
  logHref: (job: RunJob) => string;
};

/** The run as its pipeline's graph, each node showing its live state; matrix nodes expand to their runs. */
export function RunCanvas({ groups, edges, critical, now, selectedJob, onOpenJob, logHref }: Props) {
  const [positions, setPositions] = useState<Positions>({});
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const flow = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  // The log pane opening beside the graph narrows it: fit the graph to its new size (the run graph has no viewport worth keeping).
  useEffect(() => {
    const el = wrapper.current;
    if (!el) return;
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => void flow.fitView({ padding: 0.15, maxZoom: 1.2 }));
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [flow]);
  const ids = useMemo(() => groups.map((g) => g.id).join("\n"), [groups]);
  // The edges as a value that compares equal while they are the same, and holds them whole.
  const edgeKey = JSON.stringify(edges.map((e) => [e.source, e.target]));

  useEffect(() => {
    let stale = false;
    const list = ids ? ids.split("\n") : [];
    const shape = (JSON.parse(edgeKey) as [string, string][]).map(([source, target]) => ({ source, target }));
    // The shape of a run never changes; only states do, so this lays out once.
    void placeNewNodes(list, shape, {}).then((laid) => {
      if (stale || !laid) return;
      setPositions(laid);
      requestAnimationFrame(() => void flow.fitView({ padding: 0.15, maxZoom: 1.2 }));
    });
    return () => {
      stale = true;
    };
  }, [ids, edgeKey, flow]);

  const onCritical = useMemo(() => new Set(critical), [critical]);
  const nodes: RunFlowNode[] = groups.map((group) => ({
    id: group.id,
    type: "run",
    position: positions[group.id] ?? { x: 0, y: 0 },
    hidden: !positions[group.id],
    // Known sizes let the minimap draw nodes that React Flow never reports measured (this graph is not editable).
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    zIndex: expanded.has(group.id) ? 10 : 0,
    data: { group, now, critical: onCritical.has(group.id), expanded: expanded.has(group.id), selectedJob, onOpenJob, logHref },
  }));
  const flowEdges: Edge[] = edges.map((e) => {
    const hot = onCritical.has(e.source) && onCritical.has(e.target);
    return {
      id: `${e.source}->${e.target}`,
      source: e.source,
      target: e.target,
      markerEnd: { type: MarkerType.ArrowClosed },
      animated: groups.find((g) => g.id === e.target)?.status === "running",
      style: hot ? { stroke: "var(--warn)", strokeWidth: 3 } : undefined,
    };
  });

  return (
    <div ref={wrapper} style={{ width: "100%", height: "100%" }} data-testid="run-canvas" data-ready={Object.keys(positions).length === groups.length ? "true" : undefined}>
      <ReactFlow
        nodes={nodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        deleteKeyCode={null}
        minZoom={0.1}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_e, node) => {
          const group = groups.find((g) => g.id === node.id);
          if (!group) return;
          if (group.jobs.length === 1) return onOpenJob(group.jobs[0]);
          setExpanded((open) => {
            const next = new Set(open);
            if (!next.delete(group.id)) next.add(group.id);
            return next;
          });
        }}
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable ariaLabel="Mini map of the run" />
      </ReactFlow>
    </div>
  );
}
