export type DiffLine = { kind: "same" | "added" | "removed"; text: string; oldLine?: number; newLine?: number };

/**
 * Line diff by longest common subsequence. Common leading and trailing lines
 * are peeled off first, so two revisions of a long pipeline that differ in a
 * few lines cost little; the table is only built for the changed middle.
 */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split("\n");
  const b = after.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out: DiffLine[] = [];
  for (let i = 0; i < start; i++) out.push({ kind: "same", text: a[i], oldLine: i + 1, newLine: i + 1 });
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  // lcs[i][j] = length of the LCS of midA[i..] and midB[j..].
  const lcs: Uint32Array[] = Array.from({ length: midA.length + 1 }, () => new Uint32Array(midB.length + 1));
  for (let i = midA.length - 1; i >= 0; i--) {
    for (let j = midB.length - 1; j >= 0; j--) {
      lcs[i][j] = midA[i] === midB[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < midA.length || j < midB.length) {
    if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
      out.push({ kind: "same", text: midA[i], oldLine: start + i + 1, newLine: start + j + 1 });
      i++;
      j++;
    } else if (i < midA.length && (j === midB.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // On a tie the removal goes first, so a changed line reads "-old" then "+new".
      out.push({ kind: "removed", text: midA[i], oldLine: start + i + 1 });
      i++;
    } else {
      out.push({ kind: "added", text: midB[j], newLine: start + j + 1 });
      j++;
    }
  }
  for (let k = 0; k < a.length - endA; k++) out.push({ kind: "same", text: a[endA + k], oldLine: endA + k + 1, newLine: endB + k + 1 });
  return out;
}
