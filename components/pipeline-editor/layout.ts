import type { ELK, ElkNode } from "elkjs/lib/elk-api";
import type { GraphEdge } from "@/server/pipeline/document";
import type { Positions } from "./history";

/** The size every job node is drawn at (job-node.tsx keeps to it), so ELK spaces them right. */
export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 92;
const GAP = 24;

let elk: Promise<ELK> | null = null;
/** ELK is large: it is loaded with the first graph that has nodes without a saved position, not with the page. */
function loadElk(): Promise<ELK> {
  elk ??= import("elkjs/lib/elk.bundled.js").then(({ default: Elk }) => new Elk());
  return elk;
}

const OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.layered.spacing.nodeNodeBetweenLayers": "90",
  "elk.spacing.nodeNode": String(GAP),
  // Edges are drawn by React Flow, so ELK's cheapest routing will do.
  "elk.edgeRouting": "POLYLINE",
};

/**
 * Beyond this many jobs ELK trades some crossing reduction for speed: its
 * default thoroughness takes seconds on a 200-job pipeline, a tenth of that
 * at thoroughness 1 without the greedy switch pass.
 */
const LARGE = 60;
const FAST = { "elk.layered.thoroughness": "1", "elk.layered.crossingMinimization.greedySwitch.type": "OFF" };

async function elkLayout(ids: string[], edges: GraphEdge[]): Promise<Positions> {
  const graph: ElkNode = {
    id: "root",
    layoutOptions: ids.length > LARGE ? { ...OPTIONS, ...FAST } : OPTIONS,
    children: ids.map((id) => ({ id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: edges.map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  };
  const laid = await (await loadElk()).layout(graph);
  const out: Positions = {};
  for (const child of laid.children ?? []) out[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
  return out;
}

const overlaps = (a: { x: number; y: number }, b: { x: number; y: number }) =>
  Math.abs(a.x - b.x) < NODE_WIDTH + GAP / 2 && Math.abs(a.y - b.y) < NODE_HEIGHT + GAP / 2;

/**
 * Positions for the jobs that have none, leaving every placed node where the
 * person put it: a new node keeps ELK's offset from a neighbour that already
 * has a place, then steps down until it overlaps nothing. Returns null when
 * every job is placed already. Only the new positions are returned.
 */
export async function placeNewNodes(ids: string[], edges: GraphEdge[], positions: Positions): Promise<Positions | null> {
  const missing = ids.filter((id) => !positions[id]);
  if (missing.length === 0) return null;
  const placed = ids.filter((id) => positions[id]);
  // New jobs without any needs either way (just added from the palette) go below the others:
  // ELK, large and slow to start, is only loaded when it has something to say.
  const fresh = new Set(missing);
  const linked = placed.length === 0 || edges.some((e) => fresh.has(e.source) || fresh.has(e.target));
  const laid = linked ? await elkLayout(ids, edges) : {};
  if (placed.length === 0) return laid;
  const out: Positions = {};
  for (const id of placed) out[id] = positions[id];
  const bottom = Math.max(...placed.map((id) => positions[id].y));
  const left = Math.min(...placed.map((id) => positions[id].x));
  for (const id of missing) {
    const anchor =
      edges.find((e) => e.target === id && out[e.source])?.source ?? edges.find((e) => e.source === id && out[e.target])?.target;
    let spot = anchor
      ? { x: out[anchor].x + laid[id].x - laid[anchor].x, y: out[anchor].y + laid[id].y - laid[anchor].y }
      : { x: left, y: bottom + NODE_HEIGHT + GAP * 2 };
    while (Object.values(out).some((other) => overlaps(other, spot))) spot = { x: spot.x, y: spot.y + NODE_HEIGHT + GAP };
    out[id] = spot;
  }
  return Object.fromEntries(missing.map((id) => [id, out[id]]));
}
