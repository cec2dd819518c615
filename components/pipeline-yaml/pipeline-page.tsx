"use client";

import { ProjectFrame } from "@/components/projects/project-frame";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { PipelineEditor } from "./pipeline-editor";
import { RevisionsList } from "./revisions-list";
import styles from "./pipeline-yaml.module.css";
import { SourceSwitch } from "./source-switch";

/** What a new Slipway pipeline starts from when there is nothing to copy. */
const STARTER = `# yaml-language-server: $schema=/schema/pipeline.json
name: pipeline
on:
  push:
    branches: [main]
  manual: {}

jobs:
  build:
    steps:
      - uses: checkout
      - run: echo "build here"
`;

export function PipelinePage({ slug }: { slug: string }) {
  return <ProjectFrame slug={slug} tab="pipeline">{(project) => <PipelineSections project={project} />}</ProjectFrame>;
}

function PipelineSections({ project }: { project: ProjectWithRole }) {
  // No refetch on focus: a refetch after someone else saved would replace the text being edited; saving says so instead.
  const pipeline = trpc.pipelines.get.useQuery({ projectId: project.id }, { refetchOnWindowFocus: false, refetchOnReconnect: false });
  const revisions = trpc.pipelines.revisions.useQuery({ projectId: project.id });
  const canEdit = hasRole(project.role, "maintainer");
  if (pipeline.isPending) return <Loading label="Loading the pipeline…" />;
  if (pipeline.isError) return <QueryError error={pipeline.error} title="The pipeline could not be loaded." onRetry={() => void pipeline.refetch()} />;
  const view = pipeline.data;
  const fromRepository = view.source === "repository";
  const baseNumber = view.revision?.number ?? 0;
  const initial = view.yaml ?? (fromRepository ? "" : STARTER);

  return (
    <div className="stack">
      <section className={`card ${styles.sourceBar}`} aria-label="Source">
        <div className="stack" style={{ gap: "0.2rem" }}>
          <strong>{fromRepository ? "Read from the repository" : "Edited in Slipway"}</strong>
          <span className="muted small" data-testid="pipeline-origin">
            Showing {view.origin}.{" "}
            <a href="/schema/pipeline.json" target="_blank" rel="noreferrer">
              JSON Schema
            </a>{" "}
            for editors that validate as you type.
          </span>
        </div>
        {canEdit && <SourceSwitch projectId={project.id} source={view.source} repositoryYaml={fromRepository ? view.yaml : null} hasRevisions={(revisions.data?.length ?? 0) > 0} />}
      </section>
      {fromRepository && (
        <p className="notice small" style={{ margin: 0 }}>
          This file is read-only here: change it with a commit to the repository.
          {canEdit ? " To edit the pipeline in Slipway instead, switch the source to Slipway revisions." : ""}
        </p>
      )}
      {!fromRepository && !canEdit && <p className="notice small" style={{ margin: 0 }}>Saving revisions needs the maintainer role; you are a {project.role}.</p>}
      <PipelineEditor
        // A new editor per source and revision: after a save, a restore or a switch it starts from what is now current.
        key={`${view.source}:${baseNumber}`}
        projectId={project.id}
        initial={initial}
        baseNumber={baseNumber}
        editable={canEdit && !fromRepository}
        label={fromRepository ? "Pipeline YAML (read-only)" : "Pipeline YAML"}
      />
      <RevisionsList projectId={project.id} canRestore={canEdit} />
    </div>
  );
}
