import { Position, type Edge, type Node } from "@xyflow/react";
import type { GraphEdge, GraphJob } from "@/server/pipeline/document";
import type { Diagnostic } from "@/server/pipeline/diagnostics";
import type { Positions } from "./history";
import { NODE_HEIGHT, NODE_WIDTH } from "./layout";

export type JobNodeData = { job: GraphJob; errors: string[]; warnings: string[] };
export type JobFlowNode = Node<JobNodeData, "job">;

/** Diagnostics of each job, by the job id in their path (`jobs.<id>...`). */
export function problemsByJob(diagnostics: Diagnostic[]): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    if (d.path[0] !== "jobs" || typeof d.path[1] !== "string") continue;
    const list = out.get(d.path[1]) ?? [];
    list.push(d);
    out.set(d.path[1], list);
  }
  return out;
}

/**
 * Every job node is drawn at the same size with its two handles at the middle of
 * its sides (job-node.tsx, graph.module.css), so React Flow is told where they
 * are instead of measuring each node in the page first: edges, the minimap and
 * fitting the view work from the first render.
 */
export function knownGeometry(width: number, height: number, handle: number) {
  const y = height / 2 - handle / 2;
  return {
    width,
    height,
    measured: { width, height },
    handles: [
      { id: null, type: "target" as const, position: Position.Left, x: -handle / 2, y, width: handle, height: handle },
      { id: null, type: "source" as const, position: Position.Right, x: width - handle / 2, y, width: handle, height: handle },
    ],
  };
}

/** The handles of job nodes are 12 px squares (graph.module.css `.handle`). */
const GEOMETRY = knownGeometry(NODE_WIDTH, NODE_HEIGHT, 12);

/** What a job node shows; `line` is left out, so a node does not redraw when lines above its job move. */
function sameView(a: GraphJob, b: GraphJob): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.image === b.image &&
    a.runsOn?.join("\n") === b.runsOn?.join("\n") &&
    a.stepCount === b.stepCount &&
    a.environment === b.environment &&
    a.isDeploy === b.isDeploy &&
    a.matrixSize === b.matrixSize
  );
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((item, i) => item === b[i]);

/**
 * The canvas nodes. A node whose job, place, selection and problems are as in
 * `previous` is that very object again: React Flow then keeps its internal node
 * and its component does not render, so an edit or a selection redraws only
 * the nodes it changes, not all 200.
 */
export function toFlowNodes(
  jobs: GraphJob[],
  positions: Positions,
  problems: Map<string, Diagnostic[]>,
  selectedId: string | null,
  previous: ReadonlyMap<string, JobFlowNode> = new Map(),
): JobFlowNode[] {
  return jobs.map((job) => {
    const list = problems.get(job.id) ?? [];
    const errors = list.filter((d) => d.severity === "error").map((d) => d.message);
    const warnings = list.filter((d) => d.severity === "warning").map((d) => d.message);
    // Until ELK has placed it, a node waits at the origin, hidden.
    const position = positions[job.id] ?? { x: 0, y: 0 };
    const hidden = !positions[job.id];
    const selected = job.id === selectedId;
    const old = previous.get(job.id);
    if (
      old &&
      old.position.x === position.x &&
      old.position.y === position.y &&
      old.hidden === hidden &&
      old.selected === selected &&
      sameView(old.data.job, job) &&
      sameList(old.data.errors, errors) &&
      sameList(old.data.warnings, warnings)
    ) {
      return old;
    }
    return { id: job.id, type: "job", position, hidden, selected, ...GEOMETRY, data: { job, errors, warnings } };
  });
}

export const edgeId = (e: GraphEdge) => `${e.source}->${e.target}`;

export function toFlowEdges(edges: GraphEdge[], selectedEdge: string | null): Edge[] {
  return edges.map((e) => ({ id: edgeId(e), source: e.source, target: e.target, type: "needs", selected: edgeId(e) === selectedEdge }));
}

/** The node nearest to `from` in the direction of an arrow key, for keyboard navigation. */
export function neighbourInDirection(positions: Positions, ids: string[], from: string, key: string): string | undefined {
  const origin = positions[from];
  if (!origin) return ids[0];
  const axis = key === "ArrowLeft" || key === "ArrowRight" ? "x" : "y";
  const sign = key === "ArrowRight" || key === "ArrowDown" ? 1 : -1;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const id of ids) {
    const p = positions[id];
    if (id === from || !p) continue;
    const along = (p[axis] - origin[axis]) * sign;
    if (along <= 1) continue;
    const across = Math.abs(axis === "x" ? p.y - origin.y : p.x - origin.x);
    // Straight ahead beats diagonal: sideways distance weighs double.
    const score = along + across * 2;
    if (score < bestScore) {
      best = id;
      bestScore = score;
    }
  }
  return best;
}
