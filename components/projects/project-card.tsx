import Link from "next/link";
import type { ProjectSummary } from "@/components/ui/api-types";
import { plural } from "@/components/ui/format";

export function ProjectCard({ project, viewerIsAdmin }: { project: ProjectSummary; viewerIsAdmin: boolean }) {
  const role = project.role ?? (viewerIsAdmin ? "site admin" : null);
  return (
    <article className="card stack" aria-labelledby={`project-${project.id}`} style={{ gap: "0.4rem" }}>
      <div className="spread">
        <h2 id={`project-${project.id}`} style={{ margin: 0, fontSize: "1.05rem" }}>
          <Link href={`/projects/${project.slug}`}>{project.name}</Link>
        </h2>
        {project.archivedAt && <span className="badge warn">Archived</span>}
      </div>
      <code className="muted small">{project.slug}</code>
      <div className="small" title={project.repositoryUrl} style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
        <span className="muted">Repository </span>
        <code>{project.repositoryUrl}</code>
      </div>
      <div className="row small">
        <span>{plural(project.environmentCount, "environment")}</span>
        {role && <span className="badge">Your role: {role}</span>}
      </div>
    </article>
  );
}
