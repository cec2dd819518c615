import type { MetricsSample } from "@/server/schemas/deployment";
import { Sparkline } from "./sparkline";
import styles from "./deployments.module.css";

type Series = { version: string; rate: (number | null)[]; errors: (number | null)[]; p99: (number | null)[] };

/** Per version: request rate, error rate and p99 latency over the samples, one small chart each, with the latest value. */
export function MetricsCharts({ samples, versions, problem }: { samples: MetricsSample[]; versions: string[]; problem: string | null }) {
  const seen = new Set(versions);
  for (const sample of samples) for (const m of sample.versions) seen.add(m.version);
  const series: Series[] = [...seen].map((version) => ({
    version,
    rate: samples.map((s) => {
      const m = s.versions.find((v) => v.version === version);
      return m ? m.requests / s.windowSeconds : 0;
    }),
    errors: samples.map((s) => {
      const m = s.versions.find((v) => v.version === version);
      return m && m.requests > 0 ? m.errors / m.requests : null;
    }),
    p99: samples.map((s) => s.versions.find((v) => v.version === version)?.p99Ms ?? null),
  }));
  const last = <T,>(values: (T | null)[]) => values.at(-1) ?? null;
  const maxRate = Math.max(1, ...series.flatMap((s) => s.rate.filter((v): v is number => v !== null)));
  const maxP99 = Math.max(1, ...series.flatMap((s) => s.p99.filter((v): v is number => v !== null)));

  if (samples.length === 0) {
    return <p className="small muted">{problem ?? "Waiting for the router’s first measurements…"}</p>;
  }
  return (
    <div className="stack" style={{ gap: "0.4rem" }}>
      <table className={styles.charts} data-testid="metrics">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Requests/s</th>
            <th scope="col">Errors (5xx)</th>
            <th scope="col">p99 latency</th>
          </tr>
        </thead>
        <tbody>
          {series.map((s) => {
            const rate = last(s.rate);
            const errors = last(s.errors);
            const p99 = last(s.p99);
            return (
              <tr key={s.version} data-version={s.version}>
                <th scope="row">
                  <code>{s.version}</code>
                </th>
                <td>
                  <span className={styles.metric}>
                    <Sparkline values={s.rate} max={maxRate} label={`Requests per second to ${s.version}, now ${fmt(rate, 1)}`} />
                    <span className={styles.value}>{fmt(rate, 1)}/s</span>
                  </span>
                </td>
                <td>
                  <span className={styles.metric}>
                    <Sparkline values={s.errors.map((v) => (v === null ? null : v * 100))} max={5} bad label={`Error rate of ${s.version}, now ${errors === null ? "no requests" : `${fmt(errors * 100, 1)}%`}`} />
                    <span className={styles.value}>{errors === null ? "—" : `${fmt(errors * 100, 1)}%`}</span>
                  </span>
                </td>
                <td>
                  <span className={styles.metric}>
                    <Sparkline values={s.p99} max={maxP99} label={`p99 latency of ${s.version}, now ${p99 === null ? "no requests" : `${fmt(p99, 0)} ms`}`} />
                    <span className={styles.value}>{p99 === null ? "—" : `${fmt(p99, p99 < 10 ? 1 : 0)} ms`}</span>
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <span className="small muted">
        Measured by the router over the last {samples.at(-1)!.windowSeconds} s, every 2 s, for the last {Math.round((samples.length * 2) / 60) || 1} min.{problem ? ` ${problem}` : ""}
      </span>
    </div>
  );
}

const fmt = (value: number | null, digits: number) => (value === null ? "—" : value.toFixed(digits));
