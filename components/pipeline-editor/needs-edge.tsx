"use client";

import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from "@xyflow/react";
import { createContext, memo, useContext } from "react";
import styles from "./graph.module.css";

/** How a selected edge's remove button reaches the editor without going through the edge's data. */
export const RemoveEdgeContext = createContext<((source: string, target: string) => void) | null>(null);

/** A `needs` arrow; when selected (and the graph is editable) it offers to remove itself. */
export const NeedsEdge = memo(function NeedsEdge(props: EdgeProps) {
  const { source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected, markerEnd, style } = props;
  const remove = useContext(RemoveEdgeContext);
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  return (
    <>
      <BaseEdge path={path} markerEnd={markerEnd} style={{ strokeWidth: selected ? 2.5 : 1.5, stroke: selected ? "var(--accent)" : undefined, ...style }} />
      {selected && remove && (
        <EdgeLabelRenderer>
          <button
            type="button"
            className={`${styles.edgeButton} nodrag nopan`}
            style={{ position: "absolute", transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            onClick={() => remove(source, target)}
            aria-label={`Remove: ${target} needs ${source}`}
          >
            ✕ remove
          </button>
        </EdgeLabelRenderer>
      )}
    </>
  );
});
