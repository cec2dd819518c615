import styles from "./deployments.module.css";

/** The split the router (or target) has in force, as one bar: the stable release grey, the new one in the accent colour. */
export function TrafficBar({ traffic, newVersion, stableVersion }: { traffic: Record<string, number>; newVersion: string; stableVersion: string | null }) {
  const entries = Object.entries(traffic).filter(([, weight]) => weight > 0);
  const described = entries.length ? entries.map(([v, w]) => `${v} ${w}%`).join(", ") : "no traffic is routed yet";
  const order = (v: string) => (v === stableVersion ? 0 : v === newVersion ? 2 : 1);
  entries.sort((a, b) => order(a[0]) - order(b[0]));
  return (
    <div className="stack" style={{ gap: "0.35rem" }}>
      <div className={styles.trafficBar} role="img" aria-label={`Traffic split: ${described}`} data-testid="traffic-bar" data-traffic={JSON.stringify(traffic)}>
        {entries.map(([version, weight]) => (
          <div key={version} className={`${styles.segment} ${version === newVersion ? styles.canary : styles.stable}`} style={{ flexBasis: `${weight}%` }} title={`${version}: ${weight}%`}>
            {weight >= 12 ? `${version} ${weight}%` : `${weight}%`}
          </div>
        ))}
      </div>
      <div className={styles.legend} aria-hidden="true">
        {entries.length === 0 && <span>No traffic is routed yet.</span>}
        {entries.map(([version, weight]) => (
          <span key={version}>
            <span className={`${styles.swatch} ${version === newVersion ? styles.canary : styles.stable}`} />
            {version} {version === newVersion ? "(new)" : version === stableVersion ? "(stable)" : ""} {weight}%
          </span>
        ))}
      </div>
    </div>
  );
}
