"use client";

import Link from "next/link";
import { ProjectFrame } from "@/components/projects/project-frame";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { RunView } from "./run-view";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A run addressed by its number (`/runs/12`, as people share it) or its id. */
export function RunPage({ slug, runRef }: { slug: string; runRef: string }) {
  return <ProjectFrame slug={slug} tab="runs">{(project) => <ResolvedRun project={project} runRef={runRef} />}</ProjectFrame>;
}

function ResolvedRun({ project, runRef }: { project: ProjectWithRole; runRef: string }) {
  const number = /^\d+$/.test(runRef) ? Number(runRef) : null;
  // The run numbered n is the first one below n + 1.
  const byNumber = trpc.runs.list.useQuery({ projectId: project.id, before: (number ?? 0) + 1, limit: 1 }, { enabled: number !== null && number > 0 });
  const back = <Link href={`/projects/${project.slug}/runs`}>← All runs</Link>;
  if (UUID.test(runRef)) return <RunView project={project} runId={runRef} />;
  if (number === null || number < 1) return <NotFound back={back} what={`"${runRef}" is not a run number.`} />;
  if (byNumber.isPending) return <Loading label="Loading run…" />;
  if (byNumber.isError) return <QueryError error={byNumber.error} title="This run could not be opened." onRetry={() => void byNumber.refetch()} />;
  const run = byNumber.data[0];
  if (!run || run.number !== number) return <NotFound back={back} what={`This project has no run #${number}.`} />;
  return <RunView project={project} runId={run.id} />;
}

function NotFound({ what, back }: { what: string; back: React.ReactNode }) {
  return (
    <div className="stack">
      <p className="notice error">{what}</p>
      {back}
    </div>
  );
}
