"use client";

import Link from "next/link";
import { ProjectFrame } from "@/components/projects/project-frame";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { ApproverGroupsSection } from "@/components/governance/approver-groups";
import { FreezeWindowsSection } from "@/components/governance/freeze-windows";
import { ProtectionRulesSection } from "@/components/governance/protection-rules-form";
import { DeleteEnvironment } from "./delete-environment";
import { EnvironmentDetailsForm } from "./environment-details-form";
import { TargetSettingsForm } from "./target-settings";
import { VariablesEditor } from "./variables-editor";

export function EnvironmentSettings({ slug, environmentId }: { slug: string; environmentId: string }) {
  return <ProjectFrame slug={slug} tab="environment">{(project) => <EnvironmentSections project={project} environmentId={environmentId} />}</ProjectFrame>;
}

function EnvironmentSections({ project, environmentId }: { project: ProjectWithRole; environmentId: string }) {
  const environments = trpc.environments.list.useQuery({ projectId: project.id });
  if (environments.isPending) return <Loading label="Loading environment…" />;
  if (environments.isError) {
    return <QueryError error={environments.error} title="This environment could not be loaded." onRetry={() => void environments.refetch()} />;
  }
  const env = environments.data.find((e) => e.id === environmentId);
  if (!env) {
    return (
      <div className="notice error stack" role="alert">
        <span>This environment does not exist or was deleted.</span>
        <Link href={`/projects/${project.slug}`}>Back to the project</Link>
      </div>
    );
  }
  const canManage = hasRole(project.role, "maintainer");
  return (
    <div className="stack">
      <div className="spread">
        <h2 style={{ margin: 0 }}>Environment “{env.name}”</h2>
        <Link href={`/projects/${project.slug}`}>← Back to environments</Link>
      </div>
      {!canManage && <p className="notice" style={{ margin: 0 }}>You can look at this environment; changing it needs the maintainer role.</p>}
      <EnvironmentDetailsForm projectId={project.id} environment={env} readOnly={!canManage} />
      <VariablesEditor projectId={project.id} environment={env} readOnly={!canManage} />
      <TargetSettingsForm projectId={project.id} environment={env} readOnly={!canManage} />
      <ProtectionRulesSection projectId={project.id} environment={env} canEdit={hasRole(project.role, "admin")} />
      <FreezeWindowsSection projectId={project.id} environment={env} canAdd={canManage} canRemove={hasRole(project.role, "admin")} />
      <ApproverGroupsSection projectId={project.id} canEdit={hasRole(project.role, "admin")} />
      {canManage && <DeleteEnvironment project={project} environment={env} />}
    </div>
  );
}
