import Link from "next/link";
import { isoTitle } from "@/components/ui/format";
import { formatAgo, formatDuration, messageTitle, shortSha, triggerLabel, type RunSummary } from "./format";
import styles from "./runs.module.css";
import { StatusBadge } from "./status-badge";

export function RunRow({ run, slug, who, now }: { run: RunSummary; slug: string; who: string | null; now: number }) {
  const href = `/projects/${slug}/runs/${run.number}`;
  const title = messageTitle(run.message);
  return (
    <tr data-run={run.number}>
      <td>
        <StatusBadge status={run.status} />
      </td>
      <td>
        <Link href={href} className={styles.title}>
          #{run.number}
          {title && (
            <>
              {" "}
              · <span className={styles.message}>{title}</span>
            </>
          )}
        </Link>
        <span className={styles.sub}>
          commit <code title={run.commitSha}>{shortSha(run.commitSha)}</code>
        </span>
      </td>
      <td>{run.tag ? <span className={styles.ref}>tag {run.tag}</span> : run.branch ? <span className={styles.ref}>{run.branch}</span> : <span className="muted">—</span>}</td>
      <td>
        {triggerLabel(run.trigger)}
        {who && <span className={styles.sub}>by {who}</span>}
      </td>
      <td className={styles.nowrap} title={isoTitle(run.startedAt ?? run.createdAt)}>
        {run.startedAt ? formatAgo(run.startedAt, now) : `queued ${formatAgo(run.createdAt, now)}`}
      </td>
      <td className={styles.nowrap}>{formatDuration(run.startedAt, run.finishedAt, now)}</td>
    </tr>
  );
}
