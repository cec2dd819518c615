import type { YAMLMap } from "yaml";
import { deepEqual, load, ownValue, type Loaded } from "./load";
import { reconcileRoot } from "./reconcile";
import { detectStyle } from "./render";
import { applyEdits, EditConflict, NeedsBlock, type TextEdit } from "./text";
import type { SpliceCtx } from "./collections";

export interface EditError {
  message: string;
  line?: number;
  column?: number;
}

/** Text in, text out; `T` carries what an operation reports besides the text. */
export type EditResult<T extends object = object> = ({ ok: true; text: string } & T) | { ok: false; error: EditError };

export function refuse(message: string): { ok: false; error: EditError } {
  return { ok: false, error: { message } };
}

const UNSAFE =
  "This change could not be written without disturbing other parts of the YAML " +
  "(for example a value shared through an anchor); make it in the YAML view instead.";

function spliceContext(loaded: Loaded, commentsGoWith?: YAMLMap | null): SpliceCtx {
  const { text, doc } = loaded;
  return {
    text,
    doc,
    style: detectStyle(text, doc, loaded.jobs),
    edits: [],
    layouts: new Map(),
    values: new Map(),
    detached: new Set(),
    commentsGoWith,
  };
}

/**
 * Makes the document hold `next` (its contents as plain data) with the fewest
 * text changes. With nothing to change, the input comes back byte for byte.
 */
export function rewrite(loaded: Loaded, next: unknown, commentsGoWith?: YAMLMap | null): EditResult {
  let ctx = spliceContext(loaded, commentsGoWith);
  try {
    try {
      reconcileRoot(ctx, next);
    } catch (error) {
      if (!(error instanceof NeedsBlock)) throw error;
      // No flow collection in block context could take the multi-line string (the document is
      // all flow): it is written double-quoted on one line instead.
      ctx = { ...spliceContext(loaded, commentsGoWith), inlineMultiline: true };
      reconcileRoot(ctx, next);
    }
  } catch (error) {
    if (error instanceof EditConflict || error instanceof RangeError) return refuse(UNSAFE);
    throw error;
  }
  return commit(loaded, ctx.edits, next);
}

/**
 * Applies the splices and reads the result back: it must parse and hold exactly
 * `expected`, or the edit is refused and the person's YAML stays as it was.
 */
export function commit(loaded: Loaded, edits: TextEdit[], expected: unknown): EditResult {
  if (edits.length === 0) return { ok: true, text: loaded.text };
  let text: string;
  try {
    text = applyEdits(loaded.text, edits);
  } catch (error) {
    if (error instanceof EditConflict) return refuse(UNSAFE);
    throw error;
  }
  const check = load(text);
  if (!check.ok || !deepEqual(ownValue(check.loaded.doc.contents, check.loaded.doc), expected)) return refuse(UNSAFE);
  return { ok: true, text };
}
