"use client";

import { useDeferredValue, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { readGraph, type PipelineError, type PipelineGraph, type ReadResult } from "@/server/pipeline/document";
import type { Diagnostic } from "@/server/pipeline/diagnostics";
import { DocStore, samePositions } from "./doc-store";
import { current, type Snapshot } from "./history";
import { placeNewNodes } from "./layout";
import { validateText } from "./validation";

const EMPTY: PipelineGraph = { jobs: [], edges: [] };

export type PipelineDoc = ReturnType<typeof usePipelineDoc>;

/**
 * The open pipeline and what is derived from it: the graph (the last one that
 * parsed, so a half-typed YAML leaves the canvas alone), the parse error,
 * diagnostics as the person types, and whether anything is unsaved.
 */
export function usePipelineDoc(initial: Snapshot, initialDiagnostics?: Diagnostic[], initialGraph?: PipelineGraph) {
  const [store] = useState(() => new DocStore(initial));
  const { history, saved } = useSyncExternalStore(store.subscribe, store.getState, store.getState);
  const snapshot = current(history);
  // The server already read the text as opened (its graph and its diagnostics): opening a large
  // pipeline parses nothing here. The YAML is parsed with the first edit, or the first other text.
  const [opened] = useState(() => ({ yaml: initial.yaml, diagnostics: initialDiagnostics, graph: initialGraph }));
  const read = useMemo<ReadResult>(
    () => (snapshot.yaml === opened.yaml && opened.graph ? { ok: true, graph: opened.graph } : readGraph(snapshot.yaml)),
    [snapshot.yaml, opened],
  );
  const [graph, setGraph] = useState<PipelineGraph>(read.ok ? read.graph : EMPTY);
  // Keeps the last graph that parsed: derived state adjusted during render, as React recommends over an effect.
  if (read.ok && read.graph !== graph) setGraph(read.graph);
  const parseError: PipelineError | null = read.ok ? null : read.error;

  // Validation follows typing without holding a keystroke up: it reads the deferred text.
  const deferredYaml = useDeferredValue(snapshot.yaml);
  const diagnostics = useMemo(
    () => (deferredYaml === opened.yaml && opened.diagnostics ? opened.diagnostics : validateText(deferredYaml)),
    [deferredYaml, opened],
  );

  useEffect(() => {
    let stale = false;
    void placeNewNodes(
      graph.jobs.map((j) => j.id),
      graph.edges,
      store.snapshot.positions,
    ).then((positions) => {
      if (!stale && positions) store.place({ ...store.snapshot.positions, ...positions });
    });
    return () => {
      stale = true;
    };
  }, [graph, store]);

  const dirty = snapshot.yaml !== saved.yaml || !samePositions(snapshot.positions, saved.positions);
  const laidOut = graph.jobs.every((j) => snapshot.positions[j.id]);
  return {
    store,
    snapshot,
    graph,
    parseError,
    diagnostics,
    dirty,
    laidOut,
    canUndo: history.index > 0,
    canRedo: history.index < history.entries.length - 1,
  };
}
