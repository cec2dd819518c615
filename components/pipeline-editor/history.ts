/** Canvas positions by job id, saved with each revision. */
export type Positions = Record<string, { x: number; y: number }>;

/** One undoable state of the editor: the YAML text and where the nodes sit. */
export type Snapshot = { yaml: string; positions: Positions };

export type History = {
  entries: Snapshot[];
  index: number;
  /** What the top entry was last changed by, so a run of keystrokes in one field undoes as one step. */
  group: string | null;
  groupAt: number;
};

export type HistoryAction =
  | { type: "commit"; snapshot: Snapshot; group?: string; at?: number }
  | { type: "replace"; snapshot: Snapshot }
  | { type: "reset"; snapshot: Snapshot }
  | { type: "undo" }
  | { type: "redo" };

/** Enough to undo a long session; older steps fall off the bottom. */
const LIMIT = 300;
/** Edits to one field closer together than this merge into one undo step. */
const COALESCE_MS = 1500;

export function startHistory(snapshot: Snapshot): History {
  return { entries: [snapshot], index: 0, group: null, groupAt: 0 };
}

export function current(history: History): Snapshot {
  return history.entries[history.index];
}

export function historyReducer(history: History, action: HistoryAction): History {
  switch (action.type) {
    case "reset":
      return startHistory(action.snapshot);
    case "replace": {
      // Automatic layout of new nodes belongs to the step that added them, not a step of its own.
      const entries = history.entries.slice();
      entries[history.index] = action.snapshot;
      return { ...history, entries };
    }
    case "undo":
      return history.index > 0 ? { ...history, index: history.index - 1, group: null } : history;
    case "redo":
      return history.index < history.entries.length - 1 ? { ...history, index: history.index + 1, group: null } : history;
    case "commit": {
      const top = current(history);
      if (top.yaml === action.snapshot.yaml && top.positions === action.snapshot.positions) return history;
      const at = action.at ?? Date.now();
      const kept = history.entries.slice(0, history.index + 1);
      const merge = action.group !== undefined && action.group === history.group && at - history.groupAt < COALESCE_MS && history.index > 0;
      if (merge) kept[kept.length - 1] = action.snapshot;
      else kept.push(action.snapshot);
      const entries = kept.length > LIMIT ? kept.slice(kept.length - LIMIT) : kept;
      return { entries, index: entries.length - 1, group: action.group ?? null, groupAt: at };
    }
  }
}
