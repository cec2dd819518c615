"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { hasRole } from "@/components/ui/role";
import { ArtifactsList } from "./artifacts-list";
import type { JobDetail } from "./format";
import { JobList } from "./job-list";
import { JobLogPanel } from "./job-log-panel";
import { RunHeader } from "./run-header";
import styles from "./runs.module.css";
import { useRunEvents } from "./use-run-events";

/** The job to show when the address names none: what is running, else what failed, else the first. */
function pickJob(jobs: JobDetail[]): string | null {
  return (jobs.find((j) => j.status === "running") ?? jobs.find((j) => j.status === "failed") ?? jobs[0])?.key ?? null;
}

export function RunView({ project, runId }: { project: ProjectWithRole; runId: string }) {
  const { query, artifacts, live } = useRunEvents(project.id, runId);
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  // Chosen once, so the log shown does not jump from job to job as they start and finish.
  const [fallback, setFallback] = useState<string | null>(null);

  if (query.isPending) return <Loading label="Loading run…" />;
  if (query.isError) return <QueryError error={query.error} title="This run could not be opened." onRetry={() => void query.refetch()} />;
  const run = query.data;
  const wanted = searchParams.get("job");
  if (!wanted && fallback === null && run.jobs.length > 0) setFallback(pickJob(run.jobs));
  const selected = run.jobs.find((j) => j.key === wanted) ?? run.jobs.find((j) => j.key === fallback) ?? null;
  const select = (key: string) => router.replace(`${pathname}?job=${encodeURIComponent(key)}`, { scroll: false });
  const canAct = hasRole(project.role, "developer");

  return (
    <div className="stack">
      <nav className="small row" style={{ gap: "1rem" }}>
        <Link href={`/projects/${project.slug}/runs`}>← All runs</Link>
        <Link href={`/projects/${project.slug}/runs/${run.id}/graph`}>Graph of this run</Link>
      </nav>
      <RunHeader project={project} run={run} live={live} canAct={canAct} />
      <div className={styles.runLayout}>
        <JobList project={project} run={run} selectedKey={selected?.key ?? null} onSelect={select} canAct={canAct} />
        <div style={{ minWidth: 0 }}>{selected ? <JobLogPanel job={selected} /> : <p className="muted">This run has no jobs.</p>}</div>
      </div>
      <ArtifactsList runId={run.id} artifacts={artifacts} jobs={run.jobs} />
    </div>
  );
}
