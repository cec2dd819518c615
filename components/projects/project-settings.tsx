"use client";

import Link from "next/link";
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
            {hasRole(project.role, "maintainer") && (
              <section className="card spread" aria-labelledby="notifications-title">
                <div className="stack" style={{ gap: "0.25rem" }}>
                  <h2 id="notifications-title" style={{ margin: 0 }}>
                    Notifications
                  </h2>
                  <p className="muted small" style={{ margin: 0 }}>
                    Outgoing webhooks to chat or your own services for run, deployment and approval events, with each one&apos;s delivery log.
                  </p>
                </div>
                <Link href={`/projects/${project.slug}/settings/notifications`}>Manage notification webhooks</Link>
              </section>
            )}
            {isAdmin && <ArchiveProject project={project} />}
          </>
        );
      }}
    </ProjectFrame>
  );
}
