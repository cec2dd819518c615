/** A problem found in a pipeline file, pointing at the offending key or value. */
export interface Diagnostic {
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Path of the offending node inside the document, e.g. ["jobs", "build", "needs", 0]. */
  path: (string | number)[];
  severity: "error" | "warning";
}

export interface Position {
  line: number;
  column: number;
}

export type Path = (string | number)[];

/** Collects diagnostics in the order they are found. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(message: string, at: Position, path: Path): void {
    this.items.push({ message, line: at.line, column: at.column, path: [...path], severity: "error" });
  }

  warn(message: string, at: Position, path: Path): void {
    this.items.push({ message, line: at.line, column: at.column, path: [...path], severity: "warning" });
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === "error");
  }

  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === "warning");
  }
}

/** Edit distance counting a swap of two neighbours as one edit ("tset" -> "test"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `input`, if it is close enough to be a plausible typo
 * (a third of the longer word, at least 1 and at most 3 edits), else one that
 * `input` abbreviates ("timeout" -> "timeout-minutes").
 */
export function nearest(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  const list = [...candidates];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of list) {
    const distance = editDistance(needle, candidate.toLowerCase());
    const allowed = Math.min(3, Math.max(1, Math.floor(Math.max(needle.length, candidate.length) / 3)));
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined && needle.length >= 4) {
    best = list.find((c) => c.toLowerCase().startsWith(needle));
  }
  return best;
}

/** ` Did you mean "x"?` or an empty string, ready to append to a sentence. */
export function didYouMean(
  input: string,
  candidates: Iterable<string>,
  synonyms: Record<string, string> = {},
): string {
  const match = synonyms[input.toLowerCase()] ?? nearest(input, candidates);
  return match === undefined ? "" : ` Did you mean "${match}"?`;
}

/** Renders a value the way the user wrote it, for "got ..." in messages. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
