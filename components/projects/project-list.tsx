"use client";

import { keepPreviousData } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectSummary } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { ProjectCard } from "./project-card";

/** `initial` is the active projects as the server rendered them, so the first paint has no spinner. */
export function ProjectList({ viewerIsAdmin, initial }: { viewerIsAdmin: boolean; initial?: ProjectSummary[] }) {
  const [showArchived, setShowArchived] = useState(false);
  const projects = trpc.projects.list.useQuery(
    { includeArchived: showArchived },
    { placeholderData: keepPreviousData, initialData: showArchived ? undefined : initial },
  );

  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Projects</h1>
        <div className="row">
          <label className="row small" style={{ gap: "0.4rem" }}>
            <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} />
            Show archived
          </label>
          <Link className="button primary" href="/projects/new">
            New project
          </Link>
        </div>
      </div>
      {projects.isPending ? (
        <Loading label="Loading projects…" />
      ) : projects.isError ? (
        <QueryError error={projects.error} title="Projects could not be loaded." onRetry={() => void projects.refetch()} />
      ) : projects.data.length === 0 ? (
        <div className="card stack">
          <strong>{showArchived ? "There are no projects yet." : "There are no active projects."}</strong>
          <span className="muted">Create a project for a git repository to build, test and deploy it.</span>
        </div>
      ) : (
        <div className="grid" aria-busy={projects.isFetching} aria-label="Projects" role="list">
          {projects.data.map((p) => (
            <div role="listitem" key={p.id}>
              <ProjectCard project={p} viewerIsAdmin={viewerIsAdmin} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
