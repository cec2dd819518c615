"use client";

import { useMemo, useState } from "react";
import { trpc } from "@/components/providers/trpc";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { AuditExport } from "./audit-export";
import { AuditFilters } from "./audit-filters";
import { AuditTable } from "./audit-table";
import { ChainBadge } from "./chain-badge";
import type { AuditQuery } from "./use-audit-page";

/** Site admins read the whole trail; everyone else reads the projects they maintain, one at a time. */
export function AuditTrail({ isAdmin }: { isAdmin: boolean }) {
  const projects = trpc.projects.list.useQuery({ includeArchived: true });
  const choices = useMemo(
    () => (projects.data ?? []).filter((p) => isAdmin || hasRole(p.role, "maintainer")).map((p) => ({ id: p.id, name: p.name, slug: p.slug })),
    [projects.data, isAdmin],
  );
  const names = useMemo(() => new Map((projects.data ?? []).map((p) => [p.id, { name: p.name, slug: p.slug }])), [projects.data]);

  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Audit trail</h1>
        {isAdmin && <ChainBadge />}
      </div>
      <p className="muted" style={{ margin: 0 }}>
        {isAdmin
          ? "Every change and sign-in, newest first. Each event carries the hash of the one before, so an edited or deleted event breaks the chain."
          : "Changes in the projects you maintain, newest first."}
      </p>
      {projects.isPending ? (
        <Loading label="Loading projects…" />
      ) : projects.isError ? (
        <QueryError error={projects.error} title="Projects could not be loaded." onRetry={() => void projects.refetch()} />
      ) : !isAdmin && choices.length === 0 ? (
        <p className="notice">Reading a project&apos;s audit trail needs the maintainer role in it, and you are not a maintainer or admin of any project.</p>
      ) : (
        <AuditView isAdmin={isAdmin} choices={choices} names={names} />
      )}
    </div>
  );
}

function AuditView({ isAdmin, choices, names }: { isAdmin: boolean; choices: { id: string; name: string }[]; names: Map<string, { name: string; slug: string }> }) {
  const [query, setQuery] = useState<AuditQuery>(() => ({ projectId: isAdmin ? undefined : choices[0]?.id }));
  return (
    <>
      <AuditFilters projects={choices} allowAllProjects={isAdmin} initial={query} onApply={setQuery} />
      <AuditExport scope={isAdmin ? "all" : "project"} query={query} />
      <AuditTable key={JSON.stringify(query)} scope={isAdmin ? "all" : "project"} query={query} projects={names} />
    </>
  );
}
