import { sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { releases, type ReleaseChanges } from "@/db/schema";
import type { CommitSummary } from "./git";

/**
 * What an approver judges: the change from what an environment runs now to the release asked
 * for, read from the releases between them (each keeps its commits and files since the one
 * before). Going back to an older release lists the releases it takes away.
 */

type Point = { version: string; number: number; commitSha: string };

export type ChangeSetQuery = { key: string; projectId: string; to: Point; from: Point | null };

export type ChangeSet = {
  direction: "forward" | "back";
  /** Newest first; releases made before commits were kept contribute their own commit without a subject. */
  commits: (CommitSummary & { version: string })[];
  /** The commits counted, when more releases lie between than are read. */
  complete: boolean;
  files: string[];
  fileCount: number;
};

/** Releases read per change set: enough for any approver to read, and a bound on the query. */
const MAX_RELEASES = 20;
const MAX_COMMITS = 50;
const MAX_FILES = 50;

/** The change set of each query, by its key, in one round trip. */
export async function changeSetsFor(db: Tx, queries: ChangeSetQuery[]): Promise<Map<string, ChangeSet>> {
  const result = new Map<string, ChangeSet>();
  if (queries.length === 0) return result;
  const ranges = queries.map((q) => {
    const back = !!q.from && q.from.number > q.to.number;
    const low = q.from ? Math.min(q.from.number, q.to.number) : 0;
    const high = q.from ? Math.max(q.from.number, q.to.number) : q.to.number;
    return { ...q, back, low, high };
  });
  const values = sql.join(
    ranges.map((r) => sql`(${r.key}, ${r.projectId}::uuid, ${r.low}::int, ${r.high}::int)`),
    sql`, `,
  );
  const rows = await db.execute<{ key: string; version: string; commit_sha: string; changes: ReleaseChanges }>(sql`
    select q.key, r.version, r.commit_sha, r.changes
    from (values ${values}) as q(key, project_id, low, high)
    cross join lateral (
      select version, number, commit_sha, changes from ${releases}
      where project_id = q.project_id and number > q.low and number <= q.high
      order by number desc limit ${MAX_RELEASES + 1}
    ) r
    order by q.key, r.number desc`);

  for (const range of ranges) {
    const here = rows.filter((row) => row.key === range.key);
    const read = here.slice(0, MAX_RELEASES);
    const seen = new Set<string>();
    const commits: ChangeSet["commits"] = [];
    const files = new Set<string>();
    for (const row of read) {
      const recorded = row.changes.commits ?? [{ sha: row.commit_sha, subject: "", author: "", email: "" }];
      for (const commit of recorded) {
        if (seen.has(commit.sha)) continue;
        seen.add(commit.sha);
        commits.push({ ...commit, version: row.version });
      }
      for (const file of row.changes.files) files.add(file);
    }
    const sorted = [...files].sort();
    result.set(range.key, {
      direction: range.back ? "back" : "forward",
      commits: commits.slice(0, MAX_COMMITS),
      complete: here.length <= MAX_RELEASES && commits.length <= MAX_COMMITS,
      files: sorted.slice(0, MAX_FILES),
      fileCount: sorted.length,
    });
  }
  return result;
}
