"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { useProject } from "./use-project";

type Tab = "overview" | "runs" | "deployments" | "releases" | "pipeline" | "editor" | "secrets" | "settings" | "environment";

/** Loads the project by slug and frames a project page: name, repository, role and the page tabs. */
export function ProjectFrame({ slug, tab, children }: { slug: string; tab: Tab; children: (project: ProjectWithRole) => ReactNode }) {
  const project = useProject(slug);
  const pathname = usePathname();
  if (project.isPending) return <Loading label="Loading project…" />;
  if (project.isError) {
    return (
      <div className="stack">
        <QueryError error={project.error} title="This project could not be opened." onRetry={() => void project.refetch()} />
        <Link href="/">← All projects</Link>
      </div>
    );
  }
  const p = project.data;
  return (
    <div className="stack">
      <nav aria-label="Breadcrumb" className="small">
        <Link href="/">Projects</Link> / <Link href={`/projects/${p.slug}`}>{p.name}</Link>
      </nav>
      <header className="stack" style={{ gap: "0.25rem" }}>
        <div className="row">
          <h1 style={{ margin: 0 }}>{p.name}</h1>
          <span className="badge">Your role: {p.role}</span>
          {p.archivedAt && <span className="badge warn">Archived</span>}
        </div>
        <div className="muted small">
          <code>{p.repositoryUrl}</code> · default branch <code>{p.defaultBranch}</code>
        </div>
        {p.description && <p style={{ margin: 0 }}>{p.description}</p>}
      </header>
      <nav aria-label="Project" className="row" style={{ borderBottom: "1px solid var(--border)", paddingBottom: "0.4rem" }}>
        <TabLink href={`/projects/${p.slug}`} current={tab === "overview"}>
          Overview
        </TabLink>
        <TabLink href={`/projects/${p.slug}/runs`} current={tab === "runs"}>
          Runs
        </TabLink>
        <TabLink href={`/projects/${p.slug}/deployments`} current={tab === "deployments"}>
          Deployments
        </TabLink>
        <TabLink href={`/projects/${p.slug}/releases`} current={tab === "releases"}>
          Releases
        </TabLink>
        <TabLink href={`/projects/${p.slug}/pipeline`} current={tab === "pipeline"}>
          Pipeline
        </TabLink>
        {hasRole(p.role, "developer") && (
          // The secrets page predates this tab and names none, so its address marks it current too.
          <TabLink href={`/projects/${p.slug}/secrets`} current={tab === "secrets" || pathname === `/projects/${p.slug}/secrets`}>
            Secrets
          </TabLink>
        )}
        <TabLink href={`/projects/${p.slug}/editor`} current={tab === "editor"}>
          Editor
        </TabLink>
        <TabLink href={`/projects/${p.slug}/settings`} current={tab === "settings"}>
          Settings
        </TabLink>
      </nav>
      {p.archivedAt && (
        <p className="notice" style={{ margin: 0 }}>This project is archived: it is hidden from the project list and keeps all its data. Admins can unarchive it in Settings.</p>
      )}
      {children(p)}
    </div>
  );
}

function TabLink({ href, current, children }: { href: string; current: boolean; children: ReactNode }) {
  return (
    <Link href={href} aria-current={current ? "page" : undefined} style={current ? { fontWeight: 600, color: "var(--text)" } : undefined}>
      {children}
    </Link>
  );
}
