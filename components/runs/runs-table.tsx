"use client";

import { keepPreviousData } from "@tanstack/react-query";
import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { QueryError } from "@/components/ui/query-state";
import { RunRow } from "./run-row";
import styles from "./runs.module.css";
import { useNow } from "./use-now";
import { usePeople } from "./use-people";

const PAGE_SIZE = 25;
/** Runs change state often; polling the pages on screen is simple and cheap enough for a list. */
const REFRESH_MS = 5_000;
const COLUMNS = 6;

/** The project's runs, newest first, refreshed live, with older pages loaded on demand. */
export function RunsTable({ project }: { project: ProjectWithRole }) {
  const [olderPages, setOlderPages] = useState(0);
  const people = usePeople(project.id);
  const now = useNow(true);
  return (
    // Scrolls sideways on its own on a narrow screen rather than widening the page.
    <div className={styles.tableWrap}>
      <table className={styles.runsTable} aria-label="Runs">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Run</th>
            <th scope="col">Branch or tag</th>
            <th scope="col">Trigger</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          <RunsPageRows project={project} before={undefined} pagesLeft={olderPages} onLoadOlder={() => setOlderPages((n) => n + 1)} people={people} now={now} />
        </tbody>
      </table>
    </div>
  );
}

type PageProps = {
  project: ProjectWithRole;
  before: number | undefined;
  pagesLeft: number;
  onLoadOlder: () => void;
  people: (userId: string | null) => string | null;
  now: number;
};

/**
 * One page of runs, then the next one below it: each page starts below the
 * lowest run number of the page above as it is now, so when new runs push
 * runs down, none falls between two pages.
 */
function RunsPageRows({ project, before, pagesLeft, onLoadOlder, people, now }: PageProps) {
  const page = trpc.runs.list.useQuery(
    { projectId: project.id, before, limit: PAGE_SIZE },
    { refetchInterval: REFRESH_MS, placeholderData: keepPreviousData },
  );
  if (page.isPending) return <MessageRow>Loading runs…</MessageRow>;
  if (page.isError) {
    return (
      <MessageRow>
        <QueryError error={page.error} title="Runs could not be loaded." onRetry={() => void page.refetch()} />
      </MessageRow>
    );
  }
  const runs = page.data;
  if (runs.length === 0 && before === undefined) {
    return <MessageRow>No runs yet. Push to the repository, or start one with Run pipeline.</MessageRow>;
  }
  const lowest = runs.at(-1)?.number;
  const more = runs.length === PAGE_SIZE && lowest !== undefined && lowest > 1;
  return (
    <>
      {runs.map((run) => (
        <RunRow key={run.id} run={run} slug={project.slug} who={people(run.triggeredBy)} now={now} />
      ))}
      {more &&
        (pagesLeft > 0 ? (
          <RunsPageRows project={project} before={lowest} pagesLeft={pagesLeft - 1} onLoadOlder={onLoadOlder} people={people} now={now} />
        ) : (
          <MessageRow>
            <button type="button" onClick={onLoadOlder}>
              Load older runs
            </button>
          </MessageRow>
        ))}
    </>
  );
}

function MessageRow({ children }: { children: React.ReactNode }) {
  return (
    <tr>
      <td colSpan={COLUMNS} className="muted">
        {children}
      </td>
    </tr>
  );
}
