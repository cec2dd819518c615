import styles from "./runs.module.css";

const look: Record<string, { icon: string; label: string; tone: string }> = {
  queued: { icon: "◷", label: "Queued", tone: "muted" },
  pending: { icon: "◷", label: "Waiting", tone: "muted" },
  running: { icon: "●", label: "Running", tone: "running" },
  succeeded: { icon: "✓", label: "Succeeded", tone: "ok" },
  failed: { icon: "✕", label: "Failed", tone: "bad" },
  cancelled: { icon: "⊘", label: "Cancelled", tone: "muted" },
  skipped: { icon: "↷", label: "Skipped", tone: "muted" },
};

/** A run's or job's status as an icon and a word, so it never rests on colour alone. */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  const { icon, label, tone } = look[status] ?? { icon: "?", label: status, tone: "muted" };
  return (
    <span className={`${styles.status} ${styles[tone]}`} data-status={status} data-testid={testId}>
      <span aria-hidden="true" className={status === "running" ? styles.pulse : undefined}>
        {icon}
      </span>{" "}
      {label}
    </span>
  );
}
