"use client";

import { Suspense, use, useState, useSyncExternalStore } from "react";
import { ProjectFrame } from "@/components/projects/project-frame";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole, RouterOutputs } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import type { PipelineGraph } from "@/server/pipeline/document";
import type { Positions } from "./history";
import { PipelineEditor } from "./pipeline-editor";
import { RepositoryNotice } from "./repository-notice";

/** What a pipeline edited in Slipway starts as before its first revision: it validates once a job is added. */
export const STARTER_YAML = `# Edited in Slipway's visual editor: add jobs from the palette, connect them by dragging.
on:
  manual: {}
jobs:
`;

type PipelineView = RouterOutputs["pipelines"]["get"];

/** What the server read for the page: the project, its pipeline, the pipeline's graph and every job's place in it. */
export type EditorPreload = { project: ProjectWithRole; pipeline: PipelineView; graph: PipelineGraph | null; positions: Positions | null };

export function EditorPage({ slug, preload }: { slug: string; preload?: Promise<EditorPreload | null> }) {
  return (
    <Suspense fallback={<Loading label="Opening the pipeline…" />}>
      <Preloaded slug={slug} preload={preload} />
    </Suspense>
  );
}

function Preloaded({ slug, preload }: { slug: string; preload?: Promise<EditorPreload | null> }) {
  const data = preload ? use(preload) : null;
  // The project frame reads the same query: it finds the server's answer there instead of asking again.
  trpc.projects.get.useQuery({ projectSlug: slug }, { initialData: data?.project });
  return <ProjectFrame slug={slug} tab="editor">{(project) => <EditorLoader project={project} preload={data?.project.id === project.id ? data : null} />}</ProjectFrame>;
}

const noSubscription = () => () => {};

/** False while the server renders and the page hydrates, true from the first render in the browser after. */
function useInBrowser(): boolean {
  return useSyncExternalStore(noSubscription, () => true, () => false);
}

function EditorLoader({ project, preload }: { project: ProjectWithRole; preload: EditorPreload | null }) {
  const pipeline = trpc.pipelines.get.useQuery({ projectId: project.id }, { refetchOnWindowFocus: false, initialData: preload?.pipeline });
  // The repository's YAML, kept when the person moves the pipeline into Slipway so it becomes their first draft.
  const [carried, setCarried] = useState<string | null>(null);
  // The editor reads its data once: a refetch after a save must not reset the person's undo history.
  const [opened, setOpened] = useState<typeof pipeline.data>(undefined);
  if (pipeline.data && (!opened || opened.source !== pipeline.data.source)) setOpened(pipeline.data);
  // The graph is drawn in the browser only: the server sends the data, not 200 nodes of markup to hydrate.
  const inBrowser = useInBrowser();

  if (pipeline.isPending) return <Loading label="Opening the pipeline…" />;
  if (pipeline.isError) return <QueryError error={pipeline.error} title="The pipeline could not be opened." onRetry={() => void pipeline.refetch()} />;
  const view = opened ?? pipeline.data;
  const readOnly = view.source === "repository";
  const yaml = view.source === "slipway" ? (view.yaml ?? carried ?? STARTER_YAML) : (view.yaml ?? "");
  const saved = view.source === "slipway" ? (view.revision?.positions ?? {}) : {};
  // The server's graph and layout are for the YAML it sent; any other text is read and laid out here.
  const preloaded = preload?.graph && preload.pipeline.yaml === yaml ? preload : null;
  const graph = preloaded?.graph ?? undefined;
  const positions = preloaded?.positions && graph?.jobs.some((job) => !saved[job.id]) ? { ...preloaded.positions, ...saved } : saved;
  return (
    <>
      {readOnly && (
        <RepositoryNotice
          project={project}
          origin={view.origin}
          yaml={view.yaml}
          latestRevision={view.revision?.number ?? 0}
          onMoved={() => {
            setCarried(view.yaml);
            void pipeline.refetch();
          }}
        />
      )}
      {readOnly && view.yaml === null ? null : !inBrowser ? (
        <Loading label="Opening the pipeline…" />
      ) : (
        <PipelineEditor
          key={view.source}
          project={project}
          initial={{ yaml, positions, revisionNumber: view.source === "slipway" ? (view.revision?.number ?? null) : null, diagnostics: view.yaml === yaml ? view.diagnostics : undefined, graph }}
          readOnly={readOnly}
        />
      )}
    </>
  );
}
