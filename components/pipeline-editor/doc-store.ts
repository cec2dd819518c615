import { openPipeline, type EditResult, type PipelineSession } from "@/server/pipeline/document";
import { current, historyReducer, startHistory, type History, type HistoryAction, type Positions, type Snapshot } from "./history";

/**
 * The open pipeline with its undo history, outside React so that an edit
 * reads the latest text synchronously even when several land in one event
 * (React state would hand each the text of the last render).
 */
export class DocStore {
  /** Replaced on every change, so React sees a new value from `getState`. */
  private state: { history: History; saved: Snapshot };
  private readonly listeners = new Set<() => void>();
  /** Remembers how each job's needs were written (see PipelineSession); re-synced when the text changed by other means. */
  private readonly session: PipelineSession;

  constructor(initial: Snapshot) {
    this.state = { history: startHistory(initial), saved: initial };
    this.session = openPipeline(initial.yaml);
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = () => this.state;

  get snapshot(): Snapshot {
    return current(this.state.history);
  }

  private set(state: { history: History; saved: Snapshot }): void {
    this.state = state;
    this.listeners.forEach((listener) => listener());
  }

  dispatch(action: HistoryAction): void {
    const history = historyReducer(this.state.history, action);
    if (history !== this.state.history) this.set({ ...this.state, history });
  }

  /** A graph or panel edit; `group` merges quick successive edits of one field into one undo step. */
  edit<T extends object>(run: (session: PipelineSession) => EditResult<T>, options: { group?: string; positions?: (p: Positions) => Positions } = {}): EditResult<T> {
    const snap = this.snapshot;
    if (this.session.text !== snap.yaml) this.session.setText(snap.yaml);
    const result = run(this.session);
    if (result.ok) {
      const positions = options.positions ? options.positions(snap.positions) : snap.positions;
      this.dispatch({ type: "commit", snapshot: { yaml: result.text, positions }, group: options.group });
    }
    return result;
  }

  /** The person typed in the YAML pane: their text becomes the document, parsed or not. */
  typeYaml(yaml: string): void {
    this.session.setText(yaml);
    this.dispatch({ type: "commit", snapshot: { yaml, positions: this.snapshot.positions }, group: "yaml" });
  }

  move(moved: Positions): void {
    this.dispatch({ type: "commit", snapshot: { yaml: this.snapshot.yaml, positions: { ...this.snapshot.positions, ...moved } } });
  }

  /**
   * Automatic placement of nodes that had none joins the current step. When
   * the document is still as saved (it was just opened), the placement counts
   * as saved too, so opening a pipeline does not make it "changed".
   */
  place(positions: Positions): void {
    const snap = this.snapshot;
    const next = { yaml: snap.yaml, positions };
    const history = historyReducer(this.state.history, { type: "replace", snapshot: next });
    this.set({ history, saved: snap === this.state.saved ? next : this.state.saved });
  }

  markSaved(snapshot: Snapshot): void {
    this.set({ ...this.state, saved: snapshot });
  }

  reset(snapshot: Snapshot): void {
    this.session.setText(snapshot.yaml);
    this.set({ history: startHistory(snapshot), saved: snapshot });
  }
}

export function samePositions(a: Positions, b: Positions): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => b[k] && Math.round(a[k].x) === Math.round(b[k].x) && Math.round(a[k].y) === Math.round(b[k].y));
}

/** Positions without the jobs that no longer exist, so a saved revision holds no stale ids. */
export function prunePositions(positions: Positions, ids: string[]): Positions {
  const out: Positions = {};
  for (const id of ids) if (positions[id]) out[id] = positions[id];
  return out;
}
