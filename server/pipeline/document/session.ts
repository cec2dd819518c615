import { isMap, isScalar, isSeq } from "yaml";
import type { EditResult } from "./apply";
import { addJob, connect, deleteJob, disconnect, setJobField, setJobSteps, type NeedsForm } from "./edits";
import type { JobField, JobKind } from "./fields";
import { readGraph, type ReadResult } from "./graph";
import { keyOf, load } from "./load";
import { renameJob } from "./rename";

/**
 * One open pipeline in the editor: the current text, plus what a stateless
 * text-to-text edit cannot know, namely how each job's `needs` was written when
 * the text was opened or last typed. Disconnecting back down to one need then
 * writes `needs: build` again where the person wrote that, not `needs: [build]`.
 */
export class PipelineSession {
  /** The text the forms are read from, and the forms once read (on first use: opening parses nothing). */
  private original: string;
  private parsedForms: Map<string, NeedsForm> | null = null;

  constructor(private current: string) {
    this.original = current;
  }

  get text(): string {
    return this.current;
  }

  private get forms(): Map<string, NeedsForm> {
    this.parsedForms ??= needsForms(this.original);
    return this.parsedForms;
  }

  /** The person typed in the YAML view: their text becomes the new original. */
  setText(text: string): void {
    this.current = text;
    this.original = text;
    this.parsedForms = null;
  }

  read(): ReadResult {
    return readGraph(this.current);
  }

  addJob(options: { id: string; kind: JobKind; template?: Record<string, unknown> }): EditResult<{ id: string }> {
    return this.keep(addJob(this.current, options));
  }

  connect(source: string, target: string): EditResult {
    return this.keep(connect(this.current, source, target));
  }

  disconnect(source: string, target: string): EditResult {
    return this.keep(disconnect(this.current, source, target, this.forms.get(target)));
  }

  renameJob(oldId: string, newId: string): EditResult {
    const result = this.keep(renameJob(this.current, oldId, newId));
    const form = this.forms.get(oldId);
    if (result.ok && oldId !== newId && form) {
      this.forms.delete(oldId);
      this.forms.set(newId, form);
    }
    return result;
  }

  deleteJob(id: string): EditResult<{ dependents: string[] }> {
    const result = this.keep(deleteJob(this.current, id));
    if (result.ok) this.forms.delete(id);
    return result;
  }

  setJobField(id: string, field: JobField, value: unknown): EditResult {
    return this.keep(setJobField(this.current, id, field, value));
  }

  setJobSteps(id: string, steps: unknown[]): EditResult {
    return this.keep(setJobSteps(this.current, id, steps));
  }

  private keep<T extends EditResult<object>>(result: T): T {
    if (result.ok) this.current = result.text;
    return result;
  }
}

export function openPipeline(text: string): PipelineSession {
  return new PipelineSession(text);
}

function needsForms(text: string): Map<string, NeedsForm> {
  const result = load(text);
  const out = new Map<string, NeedsForm>();
  if (!result.ok) return out;
  const { doc, jobs } = result.loaded;
  for (const job of jobs?.items ?? []) {
    const needs = isMap(job.value) ? job.value.get("needs", true) : undefined;
    if (isScalar(needs) && typeof needs.value === "string") out.set(keyOf(job.key, doc), "scalar");
    else if (isSeq(needs) && needs.items.length === 0) out.set(keyOf(job.key, doc), "empty-list");
  }
  return out;
}
