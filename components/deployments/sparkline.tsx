import styles from "./deployments.module.css";

/**
 * A small line chart in plain SVG: the values in order, gaps where there is no value (no
 * requests, so no error rate or latency). Its label says what it shows and the last value,
 * since a picture alone tells a screen reader nothing.
 */
export function Sparkline({ values, label, max, bad = false, width = 72, height = 24 }: { values: (number | null)[]; label: string; max?: number; bad?: boolean; width?: number; height?: number }) {
  const known = values.filter((v): v is number => v !== null);
  const top = Math.max(max ?? 0, ...known, 1e-9);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const y = (v: number) => height - 1 - (v / top) * (height - 2);
  const runs: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) runs.push(current.join(" "));
      current = [];
      return;
    }
    current.push(`${(i * step).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length) runs.push(current.join(" "));
  return (
    <svg className={styles.spark} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <line x1={0} x2={width} y1={height - 0.5} y2={height - 0.5} stroke="var(--border)" />
      {runs.map((points, i) =>
        points.includes(" ") ? (
          <polyline key={i} className={`${styles.sparkLine} ${bad ? styles.bad : ""}`} points={points} />
        ) : (
          <circle key={i} cx={Number(points.split(",")[0])} cy={Number(points.split(",")[1])} r={1.5} fill={bad ? "var(--danger)" : "var(--accent)"} />
        ),
      )}
    </svg>
  );
}
