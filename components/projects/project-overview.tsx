"use client";

import { AddEnvironmentForm } from "@/components/environments/add-environment-form";
import { EnvironmentBoard } from "@/components/environments/environment-board";
import { hasRole } from "@/components/ui/role";
import { ProjectFrame } from "./project-frame";

export function ProjectOverview({ slug }: { slug: string }) {
  return (
    <ProjectFrame slug={slug} tab="overview">
      {(project) => {
        const canManage = hasRole(project.role, "maintainer");
        return (
          <>
            <section aria-labelledby="environments-title" className="stack">
              <h2 id="environments-title" style={{ margin: "0.5rem 0 0" }}>
                Environments
              </h2>
              <EnvironmentBoard projectId={project.id} projectSlug={project.slug} canManage={canManage} />
            </section>
            {canManage && <AddEnvironmentForm projectId={project.id} />}
          </>
        );
      }}
    </ProjectFrame>
  );
}
