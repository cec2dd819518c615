"use client";

import Link from "next/link";
import { useState } from "react";
import { DeployReleaseDialog, type Requested } from "@/components/deployments/change-dialog";
import { kindLabel, releaseArtifact, shortSha, type ReleaseDetail } from "@/components/deployments/format";
import { PhaseBadge } from "@/components/deployments/phase-badge";
import deployStyles from "@/components/deployments/deployments.module.css";
import { ProjectFrame } from "@/components/projects/project-frame";
import { trpc } from "@/components/providers/trpc";
import runStyles from "@/components/runs/runs.module.css";
import { formatAgo } from "@/components/runs/format";
import { useNow } from "@/components/runs/use-now";
import { usePeople } from "@/components/runs/use-people";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { isoTitle } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";

export function ReleasePage({ slug, releaseId }: { slug: string; releaseId: string }) {
  return <ProjectFrame slug={slug} tab="releases">{(project) => <Release project={project} releaseId={releaseId} />}</ProjectFrame>;
}

/** One release: what it is, what changed since the one before, and where it is deployed. */
function Release({ project, releaseId }: { project: ProjectWithRole; releaseId: string }) {
  const release = trpc.releases.get.useQuery({ projectId: project.id, releaseId });
  const environments = trpc.environments.list.useQuery({ projectId: project.id });
  const name = usePeople(project.id);
  const now = useNow(true, 30_000);
  const [deploying, setDeploying] = useState(false);
  const [requested, setRequested] = useState<Requested | null>(null);
  const utils = trpc.useUtils();
  if (release.isPending) return <Loading label="Loading the release…" />;
  if (release.isError) return <QueryError error={release.error} title="This release could not be loaded." onRetry={() => void release.refetch()} />;
  const r = release.data;
  const base = `/projects/${project.slug}`;
  const artifact = releaseArtifact(r);

  return (
    <div className="stack">
      <nav className="small">
        <Link href={`${base}/releases`}>← All releases</Link>
      </nav>
      <header className="card stack" style={{ gap: "0.5rem" }}>
        <div className="spread" style={{ flexWrap: "wrap" }}>
          <h2 style={{ margin: 0 }}>
            Release {r.version} <span className="muted">#{r.number}</span>
          </h2>
          {hasRole(project.role, "maintainer") && (
            <button type="button" className="primary" onClick={() => setDeploying(true)} disabled={!environments.data?.length}>
              Deploy…
            </button>
          )}
        </div>
        <div className={runStyles.meta}>
          <span title={isoTitle(r.createdAt)}>built {formatAgo(r.createdAt, now)}</span>
          {r.createdBy && <span>by {name(r.createdBy) ?? "a former member"}</span>}
          {r.runId && <Link href={`${base}/runs/${r.runId}`}>its pipeline run</Link>}
        </div>
        <dl className={deployStyles.facts}>
          <dt>commit</dt>
          <dd title={r.commitSha}>{r.commitSha}</dd>
          {r.image && (
            <>
              <dt>image</dt>
              <dd>{r.image}</dd>
            </>
          )}
          <dt>{artifact.label}</dt>
          <dd data-testid="release-digest">{artifact.value}</dd>
        </dl>
        {r.notes && <p style={{ margin: 0, whiteSpace: "pre-wrap" }}>{r.notes}</p>}
        <p role="status" className="small" style={{ margin: 0 }}>
          {requested && (
            <>
              Deployment requested{requested.phase === "queued" ? `; it waits in line (position ${requested.position ?? 1})` : ""}.{" "}
              <Link href={`${base}/deployments/${requested.id}`}>Follow it</Link>
            </>
          )}
        </p>
      </header>

      <section className="card stack" aria-labelledby="deployed-title">
        <h3 id="deployed-title" style={{ margin: 0 }}>
          Where it is deployed
        </h3>
        <DeployedTo release={r} base={base} now={now} />
      </section>

      <section className="card stack" aria-labelledby="changes-title">
        <h3 id="changes-title" style={{ margin: 0 }}>
          Changes since {r.changes.previousVersion ?? "the start"}
        </h3>
        {r.changes.source === "none" ? (
          <p className="small muted" style={{ margin: 0 }}>
            {r.changes.previousVersion ? "The history between the two releases could not be read." : "The first release of this project."}
          </p>
        ) : (
          <>
            {r.changes.fromSha && (
              <span className="small muted">
                Commits {shortSha(r.changes.fromSha)}..{shortSha(r.commitSha)}
              </span>
            )}
            <p style={{ margin: 0 }}>
              <strong>Authors:</strong> {r.changes.authors.length ? r.changes.authors.join(", ") : "none recorded"}
            </p>
            {r.changes.files.length > 0 && (
              <details>
                <summary>{r.changes.files.length === 1 ? "1 file changed" : `${r.changes.files.length} files changed`}</summary>
                <ul className="small" style={{ fontFamily: "var(--mono)" }}>
                  {r.changes.files.map((file) => (
                    <li key={file}>{file}</li>
                  ))}
                </ul>
              </details>
            )}
          </>
        )}
      </section>

      {deploying && environments.data && (
        <DeployReleaseDialog
          project={project}
          release={r}
          environments={environments.data.map((e) => ({ id: e.id, name: e.name }))}
          onClose={() => setDeploying(false)}
          onDone={(d) => {
            setDeploying(false);
            setRequested(d);
            void utils.releases.get.invalidate({ projectId: project.id, releaseId });
          }}
        />
      )}
    </div>
  );
}

function DeployedTo({ release, base, now }: { release: ReleaseDetail; base: string; now: number }) {
  if (release.deployedTo.length === 0) return <p className="small muted">Not deployed anywhere yet.</p>;
  return (
    <table className={runStyles.runsTable} data-testid="deployed-to">
      <thead>
        <tr>
          <th scope="col">Environment</th>
          <th scope="col">Now</th>
          <th scope="col">Deployments of this release</th>
        </tr>
      </thead>
      <tbody>
        {release.deployedTo.map((env) => (
          <tr key={env.environmentId} data-environment={env.name}>
            <td className={runStyles.title}>{env.name}</td>
            <td>{env.current ? <span className="badge ok">live</span> : <span className="muted small">not live</span>}</td>
            <td>
              <ul style={{ listStyle: "none", margin: 0, padding: 0 }} className="stack">
                {env.deployments.map((d) => (
                  <li key={d.id} className="row" style={{ gap: "0.4rem" }}>
                    <PhaseBadge phase={d.phase} />
                    <Link href={`${base}/deployments/${d.id}`}>{kindLabel[d.kind]}</Link>
                    <span className="small muted" title={isoTitle(d.finishedAt ?? d.createdAt)}>
                      {formatAgo(d.finishedAt ?? d.createdAt, now)}
                    </span>
                    {d.reason && <span className="small muted">· {d.reason}</span>}
                  </li>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
