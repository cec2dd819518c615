import type { Matrix, MatrixCombination } from "./model";

/** Beyond this many raw combinations we report the product instead of expanding it. */
const EXPANSION_CEILING = 65_536;

/** JSON with sorted keys, so equal values give equal text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** Cartesian product size of the axes alone; 0 when there are no axes. */
export function productSize(matrix: Matrix): number {
  const lengths = Object.values(matrix.axes).map((values) => values.length);
  return lengths.length === 0 ? 0 : lengths.reduce((a, b) => a * b, 1);
}

/**
 * Expands a matrix with GitHub Actions semantics:
 * 1. the Cartesian product of the axes, first axis varying slowest;
 * 2. minus every combination that an `exclude` entry partially matches;
 * 3. each `include` entry is merged into every combination whose original axis
 *    values it does not contradict (values added by earlier includes may be
 *    overwritten); an entry that merges nowhere becomes a combination of its own.
 * Identical combinations are kept once.
 */
export function expandMatrix(matrix: Matrix): MatrixCombination[] {
  let product: MatrixCombination[] = Object.keys(matrix.axes).length === 0 ? [] : [{}];
  for (const [axis, values] of Object.entries(matrix.axes)) {
    product = product.flatMap((combination) => values.map((value) => ({ ...combination, [axis]: value })));
  }
  const kept = product.filter(
    (combination) => !matrix.exclude.some((ex) => Object.entries(ex).every(([k, v]) => same(combination[k], v))),
  );
  const extended = kept.map((original) => ({ original, added: {} as MatrixCombination }));
  const standalone: MatrixCombination[] = [];
  for (const entry of matrix.include) {
    let merged = false;
    for (const combination of extended) {
      const contradicts = Object.entries(entry).some(
        ([k, v]) => Object.hasOwn(combination.original, k) && !same(combination.original[k], v),
      );
      if (contradicts) continue;
      for (const [k, v] of Object.entries(entry)) {
        if (!Object.hasOwn(combination.original, k)) combination.added[k] = v;
      }
      merged = true;
    }
    if (!merged) standalone.push({ ...entry });
  }
  const seen = new Set<string>();
  return [...extended.map((c) => ({ ...c.original, ...c.added })), ...standalone].filter((combination) => {
    const key = canonical(combination);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * How many jobs the matrix becomes. Past `EXPANSION_CEILING` raw combinations it
 * is the product plus includes (`exact: false`), to avoid building them all.
 */
export function matrixCount(matrix: Matrix): { count: number; exact: boolean } {
  const product = productSize(matrix);
  if (product > EXPANSION_CEILING) return { count: product + matrix.include.length, exact: false };
  return { count: expandMatrix(matrix).length, exact: true };
}
