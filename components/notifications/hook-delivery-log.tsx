"use client";

import { trpc } from "@/components/providers/trpc";
import { formatDateTime, isoTitle } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";

const statusClass = { delivered: "badge ok", pending: "badge warn", failed: "badge bad" } as const;

/** One hook's deliveries, newest first: the event, where each stands, its attempts, the answer, and when it is tried again. */
export function HookDeliveryLog({ projectId, hookId, hookName }: { projectId: string; hookId: string; hookName: string }) {
  const deliveries = trpc.notifications.deliveries.useQuery({ projectId, hookId, limit: 50 });
  if (deliveries.isPending) return <Loading label="Loading deliveries…" />;
  if (deliveries.isError) return <QueryError error={deliveries.error} title="The delivery log could not be loaded." onRetry={() => void deliveries.refetch()} />;
  if (deliveries.data.length === 0) return <p className="muted small">Nothing sent yet: events this webhook subscribes to will show here.</p>;
  return (
    <div style={{ overflowX: "auto" }}>
      <table aria-label={`Deliveries of ${hookName}`}>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">What happened</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Response</th>
            <th scope="col">Next retry</th>
            <th scope="col">Recorded</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.data.map((d) => (
            <tr key={d.id}>
              <td>
                <code>{d.event}</code>
              </td>
              <td className="small">{(d.payload as { summary?: string }).summary ?? "—"}</td>
              <td>
                <span className={statusClass[d.status]}>{d.status}</span>
              </td>
              <td>{d.attempts}</td>
              <td className="small">
                {d.responseStatus ?? "—"}
                {d.error && <div className="muted">{d.error}</div>}
              </td>
              <td title={d.status === "pending" ? isoTitle(d.nextAttemptAt) : undefined}>{d.status === "pending" ? formatDateTime(d.nextAttemptAt) : "—"}</td>
              <td title={isoTitle(d.createdAt)}>{formatDateTime(d.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
