"use client";

import { readableMessage } from "@/components/ui/field-errors";
import { AuditEventRowView, type ProjectNames } from "./audit-event-row";
import { useAuditPage, type AuditQuery } from "./use-audit-page";

const COLUMNS = 8;

/** One page of the trail as a <tbody>, so pages stack in one table as they load. */
export function AuditPageRows({ scope, query, before, projects }: { scope: "all" | "project"; query: AuditQuery; before?: number; projects: ProjectNames }) {
  const page = useAuditPage(scope, query, before);
  if (page.isPending) {
    return (
      <tbody>
        <tr>
          <td colSpan={COLUMNS} className="muted" role="status">
            Loading events…
          </td>
        </tr>
      </tbody>
    );
  }
  if (page.isError) {
    return (
      <tbody>
        <tr>
          <td colSpan={COLUMNS}>
            <span className="form-error" role="alert">
              Events could not be loaded: {readableMessage(page.error)}
            </span>{" "}
            <button type="button" onClick={() => void page.refetch()}>
              Try again
            </button>
          </td>
        </tr>
      </tbody>
    );
  }
  if (page.data.length === 0 && before === undefined) {
    return (
      <tbody>
        <tr>
          <td colSpan={COLUMNS} className="muted">
            No events match these filters.
          </td>
        </tr>
      </tbody>
    );
  }
  return (
    <tbody>
      {page.data.map((e) => (
        <AuditEventRowView key={e.seq} event={e} projects={projects} />
      ))}
    </tbody>
  );
}
