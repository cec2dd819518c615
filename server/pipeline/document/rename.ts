import { isAlias, isMap, isScalar, isSeq, visit } from "yaml";
import type { Node, Scalar } from "yaml";
import { commit, refuse, type EditResult } from "./apply";
import { invalidId, JOB_ID } from "./fields";
import { isPlainObject, jobPair, keyOf, load, ownValue, setOwn, type Loaded } from "./load";
import { detectStyle, quoteOf, renderInline } from "./render";
import type { TextEdit } from "./text";

/**
 * Renames a job where it stands: the key keeps its place, quoting and comments;
 * every `needs` naming it follows, and so do `${{ needs.<id>.… }}` references.
 */
export function renameJob(text: string, oldId: string, newId: string): EditResult {
  const result = load(text);
  if (!result.ok) return { ok: false, error: result.error };
  const loaded = result.loaded;
  const pair = jobPair(loaded, oldId);
  if (!pair) return refuse(`There is no job "${oldId}".`);
  if (newId === oldId) return { ok: true, text };
  if (!JOB_ID.test(newId)) return refuse(invalidId(newId));
  if (jobPair(loaded, newId)) return refuse(`A job "${newId}" already exists.`);

  const style = detectStyle(text, loaded.doc, loaded.jobs);
  const edits: TextEdit[] = [];
  const splice = (node: Node, inFlow: boolean) => {
    const [from, to] = node.range ?? [0, 0];
    edits.push({ from, to, insert: renderInline(newId, style, { quote: quoteOf(node), inFlow }) ?? newId });
  };
  splice(pair.key as Node, false);
  // Anchored needs lists shared by several jobs are fixed once.
  const seen = new Set<Node>();
  for (const job of loaded.jobs?.items ?? []) {
    const body = resolve(loaded, job.value);
    const needsPair = isMap(body) ? body.items.find((p) => keyOf(p.key, loaded.doc) === "needs") : undefined;
    const needs = resolve(loaded, needsPair?.value);
    const named = isSeq(needs) ? needs.items.map((item) => resolve(loaded, item)) : [needs];
    for (const node of named) {
      if (isScalar(node) && node.value === oldId && !seen.has(node)) {
        seen.add(node);
        splice(node, isSeq(needs) && needs.flow === true);
      }
    }
  }
  visit(loaded.jobs as Node, {
    Scalar(key, node: Scalar) {
      if (key === "key" || typeof node.value !== "string" || !node.range) return;
      const [from, to] = node.range;
      const source = text.slice(from, to);
      const updated = renameReferences(source, oldId, newId);
      if (updated !== source) edits.push({ from, to, insert: updated });
    },
  });
  return commit(loaded, edits, expected(loaded, oldId, newId));
}

function resolve(loaded: Loaded, node: unknown): unknown {
  return isAlias(node) ? node.resolve(loaded.doc) : node;
}

/** The document as it should read after the rename, built from plain data independently of the splices. */
function expected(loaded: Loaded, oldId: string, newId: string): unknown {
  const root = ownValue(loaded.doc.contents, loaded.doc) as Record<string, unknown>;
  const jobs = root.jobs as Record<string, unknown>;
  const renamed: Record<string, unknown> = {};
  for (const [id, body] of Object.entries(jobs)) {
    const job = deepMapStrings(body, (s) => renameReferences(s, oldId, newId));
    if (isPlainObject(job) && job.needs !== undefined) {
      const needs = job.needs;
      setOwn(job, "needs", Array.isArray(needs) ? needs.map((n) => (n === oldId ? newId : n)) : needs === oldId ? newId : needs);
    }
    setOwn(renamed, id === oldId ? newId : id, job);
  }
  setOwn(root, "jobs", renamed);
  return root;
}

function deepMapStrings(value: unknown, map: (s: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item) => deepMapStrings(item, map));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) setOwn(out, key, deepMapStrings(inner, map));
  return out;
}

/** `needs.old` → `needs.new` inside `${{ }}`; text outside expressions is left alone. */
function renameReferences(text: string, oldId: string, newId: string): string {
  if (!text.includes("needs.")) return text;
  const id = oldId.replace(/[-]/g, "\\-");
  const reference = new RegExp(`(?<![\\w.-])needs\\.${id}(?![\\w-])`, "g");
  return text.replace(/\$\{\{[\s\S]*?\}\}/g, (expression) => expression.replace(reference, `needs.${newId}`));
}
