"use client";

import "@xyflow/react/dist/style.css";
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  getViewportForBounds,
  useReactFlow,
  useStoreApi,
  type Connection,
  type Edge,
  type OnConnectEnd,
  type Viewport,
} from "@xyflow/react";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { findPath, type PipelineGraph } from "@/server/pipeline/document";
import type { Diagnostic } from "@/server/pipeline/diagnostics";
import { neighbourInDirection, problemsByJob, toFlowEdges, toFlowNodes, type JobFlowNode } from "./flow-model";
import type { Positions } from "./history";
import { NODE_HEIGHT, NODE_WIDTH } from "./layout";
import { JobNode } from "./job-node";
import { NeedsEdge, RemoveEdgeContext } from "./needs-edge";

// Declared once at module scope: React Flow re-creates every node when these objects change.
const nodeTypes = { job: JobNode };
const edgeTypes = { needs: NeedsEdge };
const defaultEdgeOptions = { markerEnd: { type: MarkerType.ArrowClosed } };
const proOptions = { hideAttribution: true };
/** Below this zoom a node's text can no longer be read (0.8rem at 0.75 is about 10 px). */
const MIN_FIT_ZOOM = 0.75;
const MAX_FIT_ZOOM = 1.2;
const FIT_PADDING = 0.15;
const fill = { width: "100%", height: "100%", outline: "none" };

export type CanvasActions = {
  onSelect: (id: string | null) => void;
  onOpen: (id: string) => void;
  onMove: (moved: Positions) => void;
  onConnect: (source: string, target: string) => void;
  onDisconnect: (source: string, target: string) => void;
  onDelete: (id: string) => void;
};

type Props = { graph: PipelineGraph; positions: Positions; diagnostics: Diagnostic[]; selectedId: string | null; readOnly: boolean; actions: CanvasActions };

type Size = { width: number; height: number };

/**
 * The whole graph in view when it fits at a legible zoom, centred. A larger
 * pipeline opens at that zoom on its start, the way it reads (its first jobs,
 * top left); the minimap and the fit-view control show all of it.
 */
function fittedViewport(ids: string[], positions: Positions, size: Size): Viewport {
  const placed = ids.map((id) => positions[id]).filter(Boolean);
  if (placed.length === 0 || size.width === 0 || size.height === 0) return { x: 0, y: 0, zoom: 1 };
  const x = Math.min(...placed.map((p) => p.x));
  const y = Math.min(...placed.map((p) => p.y));
  const bounds = { x, y, width: Math.max(...placed.map((p) => p.x)) + NODE_WIDTH - x, height: Math.max(...placed.map((p) => p.y)) + NODE_HEIGHT - y };
  const centred = getViewportForBounds(bounds, size.width, size.height, MIN_FIT_ZOOM, MAX_FIT_ZOOM, FIT_PADDING);
  const zoom = centred.zoom;
  const pad = (FIT_PADDING / 2) * Math.min(size.width, size.height);
  return {
    zoom,
    x: bounds.width * zoom + 2 * pad > size.width ? pad - x * zoom : centred.x,
    y: bounds.height * zoom + 2 * pad > size.height ? pad - y * zoom : centred.y,
  };
}

/**
 * The pipeline as a graph: drag nodes, draw `needs` from a job's right handle to another's left one.
 *
 * The canvas is measured before React Flow is created, so its first render is
 * already the view it opens with, every node's size and handles known: the
 * nodes in view are drawn once, not drawn, measured, fitted and drawn again.
 */
export function PipelineCanvas(props: Props) {
  const wrapper = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<Size | null>(null);
  useLayoutEffect(() => {
    const el = wrapper.current;
    // Read once, before the first paint: React Flow follows later size changes itself.
    if (el) setSize({ width: el.clientWidth, height: el.clientHeight });
  }, []);
  return (
    <div ref={wrapper} style={fill}>
      {size && <MeasuredCanvas {...props} size={size} />}
    </div>
  );
}

function MeasuredCanvas(props: Props & { size: Size }) {
  const { graph, positions, diagnostics, selectedId, size } = props;
  const problems = useMemo(() => problemsByJob(diagnostics), [diagnostics]);
  // The document's nodes, kept in React Flow's own store (it moves a dragged node there without rendering this
  // component): each change of the document is handed over, the nodes it did not change as the same objects.
  const [nodes, setNodes] = useState(() => toFlowNodes(graph.jobs, positions, problems, selectedId));
  const [seen, setSeen] = useState({ jobs: graph.jobs, positions, problems, selectedId });
  if (seen.jobs !== graph.jobs || seen.positions !== positions || seen.problems !== problems || seen.selectedId !== selectedId) {
    setSeen({ jobs: graph.jobs, positions, problems, selectedId });
    setNodes(toFlowNodes(graph.jobs, positions, problems, selectedId, new Map(nodes.map((n) => [n.id, n]))));
  }
  const [start] = useState(() => {
    const ids = graph.jobs.map((j) => j.id);
    const laidOut = ids.every((id) => positions[id]);
    return { laidOut, viewport: laidOut ? fittedViewport(ids, positions, size) : { x: 0, y: 0, zoom: 1 } };
  });
  const edges = useMemo(() => toFlowEdges(graph.edges, null), [graph.edges]);
  return (
    <ReactFlowProvider defaultNodes={nodes} initialEdges={edges} initialWidth={size.width} initialHeight={size.height}>
      <StartAt viewport={start.viewport} />
      <Canvas {...props} nodes={nodes} startViewport={start.viewport} startFitted={start.laidOut} />
    </ReactFlowProvider>
  );
}

/**
 * Puts React Flow's new store at the view the canvas opens with before
 * anything renders from it, so the first render draws just the nodes in that
 * view (React Flow would start at 0,0 zoom 1 and move there an effect later).
 */
function StartAt({ viewport }: { viewport: Viewport }) {
  const store = useStoreApi();
  useState(() => store.setState({ transform: [viewport.x, viewport.y, viewport.zoom] }));
  return null;
}

function Canvas({
  graph,
  positions,
  selectedId,
  readOnly,
  actions,
  size,
  nodes,
  startViewport,
  startFitted,
}: Props & { size: Size; nodes: JobFlowNode[]; startViewport: Viewport; startFitted: boolean }) {
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  // Keys act on the selection only while focus is on the canvas: a click there brings it back from the panel.
  const focusCanvas = useCallback(() => {
    if (!wrapper.current?.contains(document.activeElement)) wrapper.current?.focus({ preventScroll: true });
  }, []);
  const edges = useMemo(() => toFlowEdges(graph.edges, selectedEdge), [graph.edges, selectedEdge]);
  const flow = useReactFlow<JobFlowNode>();
  const [defaultNodes] = useState(nodes);
  useEffect(() => {
    // The first nodes are already in the store; later ones replace them (unchanged nodes are the same objects).
    if (nodes !== defaultNodes) flow.setNodes(nodes);
  }, [nodes, defaultNodes, flow]);

  const laidOut = graph.jobs.every((j) => positions[j.id]);
  const [fitted, setFitted] = useState(startFitted);
  useEffect(() => {
    if (!laidOut || fitted) return;
    // Nodes laid out after the canvas opened (ELK was still working): fit them once; later edits keep the person's viewport.
    let stale = false;
    const box = wrapper.current?.getBoundingClientRect() ?? size;
    void flow
      .setViewport(fittedViewport(graph.jobs.map((j) => j.id), positions, { width: box.width, height: box.height }))
      .then(() => !stale && setFitted(true));
    return () => {
      stale = true;
    };
  }, [laidOut, fitted, flow, graph.jobs, positions, size]);

  // A node placed outside the view (a new job lands below the others) is brought into it by zooming out, never in.
  const placedBefore = useRef<Set<string> | null>(null);
  useEffect(() => {
    const placed = graph.jobs.filter((j) => positions[j.id]).map((j) => j.id);
    const before = placedBefore.current;
    placedBefore.current = new Set(placed);
    const fresh = before ? placed.filter((id) => !before.has(id)) : [];
    // Measured only when a node was placed: reading the canvas's size makes the browser lay the page out there and then.
    const box = fitted && fresh.length > 0 ? wrapper.current?.getBoundingClientRect() : undefined;
    if (!box) return;
    const { x, y, zoom } = flow.getViewport();
    const [left, top] = [-x / zoom, -y / zoom];
    const outside = fresh.some((id) => {
      const p = positions[id];
      return p.x < left || p.y < top || p.x + NODE_WIDTH > left + box.width / zoom || p.y + NODE_HEIGHT > top + box.height / zoom;
    });
    if (outside) void flow.fitView({ padding: FIT_PADDING, maxZoom: zoom, duration: 200 });
  }, [graph.jobs, positions, fitted, flow]);

  // Every handler handed to React Flow keeps its identity while a node is dragged: a new one would
  // re-render all nodes on every frame of the drag.
  const isValidConnection = useCallback(
    (c: Connection | Edge) => !readOnly && c.source !== c.target && !findPath(graph.edges, c.target, c.source),
    [readOnly, graph.edges],
  );
  const onConnectEnd: OnConnectEnd = useCallback(
    (_event, state) => {
      if (state.isValid !== false || !state.toNode || !state.fromHandle) return;
      const [source, target] = state.fromHandle.type === "source" ? [state.fromNode.id, state.toNode.id] : [state.toNode.id, state.fromNode.id];
      // Dropped on a handle that would close a cycle: the edit refuses it and the editor shows why, naming the cycle.
      actions.onConnect(source, target);
    },
    [actions],
  );
  const onNodeDragStop = useCallback((_e: unknown, _node: unknown, dragged: JobFlowNode[]) => actions.onMove(Object.fromEntries(dragged.map((n) => [n.id, n.position]))), [actions]);
  const onNodeClick = useCallback(
    (_e: unknown, node: JobFlowNode) => {
      focusCanvas();
      setSelectedEdge(null);
      actions.onSelect(node.id);
    },
    [actions, focusCanvas],
  );
  const onNodeDoubleClick = useCallback((_e: unknown, node: JobFlowNode) => actions.onOpen(node.id), [actions]);
  const onEdgeClick = useCallback((_e: unknown, edge: Edge) => {
    focusCanvas();
    setSelectedEdge(edge.id);
  }, [focusCanvas]);
  const onPaneClick = useCallback(() => {
    focusCanvas();
    setSelectedEdge(null);
    actions.onSelect(null);
  }, [actions, focusCanvas]);
  const onConnect = useCallback((c: Connection) => actions.onConnect(c.source, c.target), [actions]);

  const onKeyDown = (event: KeyboardEvent) => {
    if ((event.target as HTMLElement).closest("input, textarea, select")) return;
    if ((event.key === "Delete" || event.key === "Backspace") && !readOnly) {
      const edge = graph.edges.find((e) => `${e.source}->${e.target}` === selectedEdge);
      if (edge) actions.onDisconnect(edge.source, edge.target);
      else if (selectedId) actions.onDelete(selectedId);
      setSelectedEdge(null);
    } else if (event.key === "Enter" && selectedId) actions.onOpen(selectedId);
    else if (event.key.startsWith("Arrow")) {
      const next = selectedId ? neighbourInDirection(positions, graph.jobs.map((j) => j.id), selectedId, event.key) : graph.jobs[0]?.id;
      if (!next) return;
      actions.onSelect(next);
      const p = positions[next];
      if (p) void flow.setCenter(p.x + NODE_WIDTH / 2, p.y + NODE_HEIGHT / 2, { zoom: flow.getZoom(), duration: 150 });
    } else return;
    event.preventDefault();
  };

  return (
    <div ref={wrapper} tabIndex={0} aria-label="Pipeline graph" style={fill} onKeyDown={onKeyDown} data-ready={laidOut && fitted ? "true" : undefined} data-testid="pipeline-canvas">
      <RemoveEdgeContext.Provider value={readOnly ? null : actions.onDisconnect}>
        <ReactFlow
          defaultNodes={defaultNodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          defaultEdgeOptions={defaultEdgeOptions}
          defaultViewport={startViewport}
          onNodeDragStop={onNodeDragStop}
          onNodeClick={onNodeClick}
          onNodeDoubleClick={onNodeDoubleClick}
          onEdgeClick={onEdgeClick}
          onPaneClick={onPaneClick}
          onConnect={onConnect}
          onConnectEnd={onConnectEnd}
          isValidConnection={isValidConnection}
          nodesDraggable={!readOnly}
          nodesConnectable={!readOnly}
          deleteKeyCode={null}
          disableKeyboardA11y
          onlyRenderVisibleElements
          minZoom={0.1}
          proOptions={proOptions}
        >
          <Background gap={16} />
          <Controls showInteractive={false} />
          <MiniMap pannable zoomable ariaLabel="Mini map of the pipeline" />
        </ReactFlow>
      </RemoveEdgeContext.Provider>
    </div>
  );
}
