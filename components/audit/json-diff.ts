export type Change = { key: string; kind: "added" | "removed" | "changed"; before?: unknown; after?: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What an event changed, key by key, for objects; the whole value otherwise. */
export function diffValues(before: unknown, after: unknown): Change[] {
  const hasBefore = before !== null && before !== undefined;
  const hasAfter = after !== null && after !== undefined;
  if (!hasBefore && !hasAfter) return [];
  if ((isRecord(before) || !hasBefore) && (isRecord(after) || !hasAfter)) {
    const b = (before ?? {}) as Record<string, unknown>;
    const a = (after ?? {}) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    return keys.flatMap((key): Change[] => {
      if (!(key in b)) return [{ key, kind: "added", after: a[key] }];
      if (!(key in a)) return [{ key, kind: "removed", before: b[key] }];
      return same(b[key], a[key]) ? [] : [{ key, kind: "changed", before: b[key], after: a[key] }];
    });
  }
  if (same(before, after)) return [];
  return [{ key: "", kind: !hasBefore ? "added" : !hasAfter ? "removed" : "changed", before, after }];
}

/** A value as short JSON for a table cell; a list of words reads as the words. */
export function compact(value: unknown, max = 60): string {
  const words = Array.isArray(value) && value.every((v) => typeof v === "string");
  const text = value === undefined ? "—" : words ? (value.length ? value.join(", ") : "[]") : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
