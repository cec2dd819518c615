"use client";

import { useState } from "react";
import type { ProjectNames } from "./audit-event-row";
import { AuditPageRows } from "./audit-page-rows";
import { LoadOlder } from "./load-older";
import type { AuditQuery } from "./use-audit-page";

/** The events, a page at a time; the parent remounts it (by key) when the filters change. */
export function AuditTable({ scope, query, projects }: { scope: "all" | "project"; query: AuditQuery; projects: ProjectNames }) {
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  return (
    <div className="stack">
      <div className="card" style={{ overflowX: "auto", padding: "0.5rem" }}>
        <table aria-label="Audit events" style={{ fontSize: "0.875rem", tableLayout: "fixed", minWidth: "62rem" }}>
          {/* Fixed widths: the change (a diff of any length) takes what is left instead of squeezing the rest. */}
          <colgroup>
            <col style={{ width: "7.5rem" }} />
            <col style={{ width: "8rem" }} />
            <col style={{ width: "10rem" }} />
            <col style={{ width: "7rem" }} />
            <col style={{ width: "6rem" }} />
            <col style={{ width: "6rem" }} />
            <col style={{ width: "5rem" }} />
            <col />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Object</th>
              <th scope="col">Project</th>
              <th scope="col">From IP</th>
              <th scope="col">Via</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          {cursors.map((before) => (
            <AuditPageRows key={before ?? "newest"} scope={scope} query={query} before={before} projects={projects} />
          ))}
        </table>
      </div>
      <LoadOlder scope={scope} query={query} before={cursors[cursors.length - 1]} onLoad={(before) => setCursors((c) => [...c, before])} />
    </div>
  );
}
