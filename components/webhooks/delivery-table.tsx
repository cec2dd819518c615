import type { RouterOutputs } from "@/components/ui/api-types";
import { formatDateTime, isoTitle } from "@/components/ui/format";

export type Delivery = RouterOutputs["webhooks"]["settings"]["deliveries"][number];

const outcomeClass: Record<string, string> = { accepted: "badge ok", refused: "badge bad", failed: "badge bad", ignored: "badge", duplicate: "badge warn", processing: "badge" };

/** Recent deliveries, newest first: what arrived, and what Slipway did with it and why. */
export function DeliveryTable({ deliveries, runHref }: { deliveries: Delivery[]; runHref?: (runId: string) => string }) {
  if (deliveries.length === 0) {
    return <p className="muted">No deliveries yet. Push a commit, or use “Redeliver” / “Test” in the git host, and it will show here.</p>;
  }
  return (
    <div style={{ overflowX: "auto" }}>
      <table aria-label="Recent webhook deliveries">
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">From</th>
            <th scope="col">Event</th>
            <th scope="col">Outcome</th>
            <th scope="col">Why</th>
            <th scope="col">Run</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={`${d.provider}:${d.deliveryId}`}>
              <td title={isoTitle(d.receivedAt)}>{formatDateTime(d.receivedAt)}</td>
              <td>{d.provider === "github" ? "GitHub" : "GitLab"}</td>
              <td>
                <code>{d.event}</code>
              </td>
              <td>
                <span className={outcomeClass[d.outcome] ?? "badge"}>{d.outcome}</span>
              </td>
              <td className="small">{d.reason || "—"}</td>
              <td>{d.runId && d.runNumber !== null ? runHref ? <a href={runHref(d.runId)}>#{d.runNumber}</a> : `#${d.runNumber}` : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
