"use client";

import Link from "next/link";
import { useState } from "react";
import { useBoard } from "@/components/deployments/use-board";
import { releaseArtifact, shortDigest, shortSha, type ReleaseRow } from "@/components/deployments/format";
import { ProjectFrame } from "@/components/projects/project-frame";
import runStyles from "@/components/runs/runs.module.css";
import { formatAgo } from "@/components/runs/format";
import { useNow } from "@/components/runs/use-now";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { isoTitle } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";
import { trpc } from "@/components/providers/trpc";

export function ReleasesPage({ slug }: { slug: string }) {
  return <ProjectFrame slug={slug} tab="releases">{(project) => <Releases project={project} />}</ProjectFrame>;
}

const PAGE = 50;

/** Every release, newest first, with the environments each one serves in now (kept live from the board's stream). */
function Releases({ project }: { project: ProjectWithRole }) {
  // Pages of PAGE, each read below the last number of the one before (keyset pagination).
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const pages = trpc.useQueries((t) => cursors.map((before) => t.releases.list({ projectId: project.id, limit: PAGE, before })));
  const releases = pages[0];
  const lastPage = pages.at(-1)?.data;
  const hasMore = lastPage !== undefined && lastPage.length === PAGE;
  const { query: board } = useBoard(project.id);
  const now = useNow(true, 30_000);
  const liveIn = new Map<string, string[]>();
  for (const column of board.data?.columns ?? []) {
    if (column.current) liveIn.set(column.current.id, [...(liveIn.get(column.current.id) ?? []), column.environment.name]);
  }
  const rows: ReleaseRow[] = pages.flatMap((p) => p.data ?? []);

  return (
    <section className="stack" aria-labelledby="releases-title">
      <h2 id="releases-title" style={{ margin: 0 }}>
        Releases
      </h2>
      <p className="small muted" style={{ margin: 0 }}>
        A release is what a pipeline run built, recorded once and never changed: its version, commit and artifact. Deploy one from the{" "}
        <Link href={`/projects/${project.slug}/deployments`}>Deployments</Link> tab.
      </p>
      {releases.isPending ? (
        <Loading label="Loading releases…" />
      ) : releases.isError ? (
        <QueryError error={releases.error} title="Releases could not be loaded." onRetry={() => void releases.refetch()} />
      ) : rows.length === 0 ? (
        <p className="muted">No release yet: a pipeline run whose deploy job succeeds makes one.</p>
      ) : (
        <div className={runStyles.tableWrap}>
          <table className={runStyles.runsTable}>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Commit</th>
                <th scope="col">Artifact</th>
                <th scope="col">Live in</th>
                <th scope="col">Built</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-release={r.version}>
                  <td>
                    <Link href={`/projects/${project.slug}/releases/${r.id}`} className={runStyles.title}>
                      {r.version}
                    </Link>
                    <span className={runStyles.sub}>#{r.number}</span>
                  </td>
                  <td>
                    <code title={r.commitSha}>{shortSha(r.commitSha)}</code>
                  </td>
                  <td>
                    <code title={releaseArtifact(r).value}>{shortDigest(releaseArtifact(r).value)}</code>
                  </td>
                  <td data-testid="live-in">
                    {(liveIn.get(r.id) ?? []).map((env) => (
                      <span key={env} className="badge ok" style={{ marginRight: "0.25rem" }}>
                        {env}
                      </span>
                    ))}
                  </td>
                  <td className={runStyles.nowrap} title={isoTitle(r.createdAt)}>
                    {formatAgo(r.createdAt, now)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasMore && (
        <div>
          <button type="button" onClick={() => setCursors((c) => [...c, lastPage?.at(-1)?.number])} disabled={pages.some((p) => p.isPending)}>
            {pages.some((p) => p.isPending) ? "Loading…" : "Older releases"}
          </button>
        </div>
      )}
    </section>
  );
}
