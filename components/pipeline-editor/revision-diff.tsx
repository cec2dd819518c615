"use client";

import { useMemo } from "react";
import styles from "./editor.module.css";
import { diffLines, type DiffLine } from "./line-diff";

const CONTEXT = 3;

type Row = DiffLine | { kind: "gap"; count: number };

/** Unchanged stretches longer than a few lines fold into "… n unchanged lines", as in a code review. */
function fold(lines: DiffLine[]): Row[] {
  const keep = lines.map((l, i) => l.kind !== "same" || lines.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((n) => n.kind !== "same"));
  const rows: Row[] = [];
  let hidden = 0;
  lines.forEach((line, i) => {
    if (keep[i]) {
      if (hidden) rows.push({ kind: "gap", count: hidden });
      hidden = 0;
      rows.push(line);
    } else hidden++;
  });
  if (hidden) rows.push({ kind: "gap", count: hidden });
  return rows;
}

export function RevisionDiff({ before, after, label }: { before: string; after: string; label: string }) {
  const rows = useMemo(() => fold(diffLines(before, after)), [before, after]);
  if (before === after) return <p className="small muted">The two revisions have the same YAML.</p>;
  return (
    <table className={styles.diff} aria-label={label}>
      <tbody>
        {rows.map((row, i) =>
          row.kind === "gap" ? (
            <tr key={i} className={styles.diffGap}>
              <td colSpan={4}>… {row.count} unchanged lines</td>
            </tr>
          ) : (
            <tr key={i} className={row.kind === "added" ? styles.diffAdded : row.kind === "removed" ? styles.diffRemoved : undefined}>
              <td className={styles.diffNumber}>{row.oldLine ?? ""}</td>
              <td className={styles.diffNumber}>{row.newLine ?? ""}</td>
              <td className={styles.diffSign}>{row.kind === "added" ? "+" : row.kind === "removed" ? "-" : " "}</td>
              <td>
                <pre>{row.text}</pre>
              </td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}
