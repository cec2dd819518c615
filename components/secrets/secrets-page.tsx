"use client";

import { useState } from "react";
import { ProjectFrame } from "@/components/projects/project-frame";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { SecretForm } from "./secret-form";
import { SecretList } from "./secret-list";
import type { SecretTarget } from "./types";

export function SecretsPage({ slug }: { slug: string }) {
  // No tab of the project frame is about secrets: "environment" highlights none.
  return <ProjectFrame slug={slug} tab="environment">{(project) => <SecretsSections project={project} />}</ProjectFrame>;
}

function SecretsSections({ project }: { project: ProjectWithRole }) {
  const canManage = hasRole(project.role, "maintainer");
  const environments = trpc.environments.list.useQuery({ projectId: project.id });
  const [replacing, setReplacing] = useState<SecretTarget | null>(null);

  if (!hasRole(project.role, "developer")) {
    return <p className="notice">Secrets are visible to developers, maintainers and admins of this project; you are a {project.role}.</p>;
  }
  return (
    <div className="stack">
      <h2 style={{ margin: 0 }}>Secrets</h2>
      <p className="muted small" style={{ margin: 0 }}>
        Secrets reach jobs as environment variables and through <code>{"${{ secrets.NAME }}"}</code>. They are stored encrypted and masked in
        logs, also in base64 and URL-encoded form. Once saved, a value cannot be read back here, not even by admins: to change one, save a new value.
        A secret for one environment overrides the project-wide secret of the same name there.
      </p>
      {!canManage && <p className="notice">You can see which secrets exist; adding, replacing and deleting them needs the maintainer role.</p>}
      {environments.isError && <QueryError error={environments.error} title="Environments could not be loaded." onRetry={() => void environments.refetch()} />}
      <SecretList project={project} canManage={canManage} onReplace={setReplacing} />
      {canManage &&
        (environments.isPending ? (
          <Loading label="Loading environments…" />
        ) : (
          <SecretForm
            // A new key resets the form when another secret is picked for replacing.
            key={replacing ? `${replacing.environmentId ?? "project"}:${replacing.name}` : "new"}
            projectId={project.id}
            environments={environments.data ?? []}
            replacing={replacing}
            onDone={() => setReplacing(null)}
          />
        ))}
    </div>
  );
}
