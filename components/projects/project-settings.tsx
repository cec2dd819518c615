"use client";

import { MembersSection } from "@/components/members/members-section";
import { hasRole } from "@/components/ui/role";
import { WebhookSettings } from "@/components/webhooks/webhook-settings";
import { ArchiveProject } from "./archive-project";
import { EditProjectForm } from "./edit-project-form";
import { ProjectFrame } from "./project-frame";

export function ProjectSettings({ slug }: { slug: string }) {
  return (
    <ProjectFrame slug={slug} tab="settings">
      {(project) => {
        const isAdmin = hasRole(project.role, "admin");
        return (
          <>
            <EditProjectForm key={project.id + project.slug} project={project} canEdit={isAdmin} />
            <MembersSection project={project} canManage={isAdmin} />
            <WebhookSettings project={project} runHref={(runId) => `/projects/${project.slug}/runs/${runId}`} />
            {isAdmin && <ArchiveProject project={project} />}
          </>
        );
      }}
    </ProjectFrame>
  );
}
