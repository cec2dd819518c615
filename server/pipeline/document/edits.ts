import { isMap } from "yaml";
import { rewrite, refuse, type EditResult } from "./apply";
import { checkField, defaultTemplate, invalidId, JOB_ID, placeKey, plain, type JobField, type JobKind } from "./fields";
import { edgesOf, findPath } from "./graph";
import { isPlainObject, jobPair, load, needsList, ownValue, setOwn, type Loaded } from "./load";

/**
 * The graph edits of the visual editor, each text in and text out. Each one
 * states the document it wants as plain data and lets `rewrite` find the
 * smallest text change, so everything the edit does not concern stays as written.
 */

/** How a job's `needs` was written when the person last edited the YAML: `needs: [a]`, `needs: a` or `needs: []`. */
export type NeedsForm = "list" | "scalar" | "empty-list";

/** The document's contents as fresh plain data that an edit may change freely. */
class Draft {
  readonly root: Record<string, unknown>;

  constructor(readonly loaded: Loaded) {
    const value = ownValue(loaded.doc.contents, loaded.doc);
    this.root = isPlainObject(value) ? value : {};
  }

  get jobs(): Record<string, unknown> {
    if (!isPlainObject(this.root.jobs)) setOwn(this.root, "jobs", {});
    return this.root.jobs as Record<string, unknown>;
  }

  job(id: string): Record<string, unknown> {
    const job = this.jobs[id];
    return isPlainObject(job) ? job : {};
  }

  /** A block job left without settings becomes `id:` alone (null), the smallest change to its text. */
  setJob(id: string, job: Record<string, unknown>): void {
    const node = jobPair(this.loaded, id)?.value;
    const empty = Object.keys(job).length === 0 && !(isMap(node) && node.flow);
    setOwn(this.jobs, id, empty ? null : job);
  }

  /**
   * Writes a job's needs as a list; the key goes when the list is empty. `form`
   * says how the person first wrote them, to come back to `needs: a` or `needs: []`.
   */
  setNeeds(id: string, needs: string[], form: NeedsForm = "list"): void {
    const job = this.job(id);
    const unchanged = typeof job.needs === "string" && needs.length === 1 && job.needs === needs[0];
    if (needs.length === 0 && form !== "empty-list") delete job.needs;
    else if (!unchanged) {
      this.setJob(id, placeKey(job, "needs", form === "scalar" && needs.length === 1 ? needs[0] : needs));
      return;
    }
    this.setJob(id, job);
  }

  write(): EditResult {
    return rewrite(this.loaded, this.root);
  }
}

function withDraft<T extends object>(text: string, edit: (draft: Draft) => EditResult<T>): EditResult<T> {
  const result = load(text);
  return result.ok ? edit(new Draft(result.loaded)) : { ok: false, error: result.error };
}

const exists = (draft: Draft, id: string) => Object.prototype.hasOwnProperty.call(draft.loaded.merged, id);
const needsOf = (draft: Draft, id: string) => needsList(draft.loaded.merged[id]?.needs);

/** Adds a job at the end of `jobs`. A taken id gets a suffix (`build-2`); the id used is returned. */
export function addJob(
  text: string,
  options: { id: string; kind: JobKind; template?: Record<string, unknown> },
): EditResult<{ id: string }> {
  return withDraft(text, (draft) => {
    if (!JOB_ID.test(options.id)) return refuse(invalidId(options.id));
    if (options.template && !isPlainObject(options.template)) return refuse("A job template must be a mapping.");
    if (options.template && "needs" in options.template) return refuse("A job template cannot carry needs; connect the new job instead.");
    let id = options.id;
    for (let n = 2; exists(draft, id); n++) id = `${options.id}-${n}`;
    draft.setJob(id, plain(options.template ?? defaultTemplate(options.kind)) as Record<string, unknown>);
    const result = draft.write();
    return result.ok ? { ...result, id } : result;
  });
}

/** Makes `target` need `source`. Refuses self-edges, duplicates and cycles (naming the cycle). */
export function connect(text: string, source: string, target: string): EditResult {
  return withDraft(text, (draft) => {
    const missing = [source, target].find((id) => !exists(draft, id));
    if (missing !== undefined) return refuse(`There is no job "${missing}".`);
    if (source === target) return refuse(`A job cannot need itself ("${source}").`);
    const needs = needsOf(draft, target);
    if (needs.includes(source)) return refuse(`"${target}" already needs "${source}".`);
    const path = findPath(edgesOf(draft.loaded.merged), target, source);
    if (path) return refuse(`"${target}" cannot need "${source}": that makes a cycle ${[source, ...path].join(" -> ")}.`);
    draft.setNeeds(target, [...needs, source]);
    return draft.write();
  });
}

/**
 * Removes `source` from `target`'s needs; `needs` is removed when it becomes
 * empty and a one-id list stays a list, unless `form` says it was first written
 * as `needs: a` or `needs: []` (which `PipelineSession` remembers).
 */
export function disconnect(text: string, source: string, target: string, form: NeedsForm = "list"): EditResult {
  return withDraft(text, (draft) => {
    const needs = needsOf(draft, target);
    if (!exists(draft, target) || !needs.includes(source)) return refuse(`"${target}" does not need "${source}".`);
    draft.setNeeds(target, needs.filter((id) => id !== source), form);
    return draft.write();
  });
}

/**
 * Deletes a job and every `needs` entry naming it, with the comment lines
 * directly above it. `dependents` are the jobs that needed it, for the UI to tell.
 */
export function deleteJob(text: string, id: string): EditResult<{ dependents: string[] }> {
  return withDraft(text, (draft) => {
    if (!exists(draft, id)) return refuse(`There is no job "${id}".`);
    const dependents = Object.keys(draft.loaded.merged).filter((other) => other !== id && needsOf(draft, other).includes(id));
    for (const dependent of dependents) {
      draft.setNeeds(dependent, needsOf(draft, dependent).filter((need) => need !== id));
    }
    delete draft.jobs[id];
    const result = rewrite(draft.loaded, draft.root, draft.loaded.jobs);
    return result.ok ? { ...result, dependents } : result;
  });
}

/** Sets one panel field of a job; `undefined` removes the key. */
export function setJobField(text: string, id: string, field: JobField, value: unknown): EditResult {
  return withDraft(text, (draft) => {
    if (!exists(draft, id)) return refuse(`There is no job "${id}".`);
    const data = plain(value);
    const problem = data === undefined ? undefined : checkField(field, data);
    if (problem) return refuse(problem);
    let job = draft.job(id);
    if (data === undefined && !hasField(job, field)) {
      if (hasField(draft.loaded.merged[id], field)) {
        return refuse(`Job "${id}" gets ${field} from a merge key (<<: *...); remove it there in the YAML view.`);
      }
      return { ok: true, text };
    }
    if (field === "strategy.matrix") {
      const strategy = isPlainObject(job.strategy) ? job.strategy : {};
      if (data === undefined) delete strategy.matrix;
      else setOwn(strategy, "matrix", data);
      if (Object.keys(strategy).length === 0) delete job.strategy;
      else job = placeKey(job, "strategy", strategy);
    } else if (data === undefined) delete job[field];
    else job = placeKey(job, field, data);
    draft.setJob(id, job);
    return draft.write();
  });
}

function hasField(job: Record<string, unknown>, field: JobField): boolean {
  return field === "strategy.matrix" ? isPlainObject(job.strategy) && "matrix" in job.strategy : field in job;
}

/** The steps list from the panel; each step has `run` or `uses` (with `with`). */
export function setJobSteps(text: string, id: string, steps: unknown[]): EditResult {
  return setJobField(text, id, "steps", steps);
}

