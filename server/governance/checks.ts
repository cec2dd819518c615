/** Required checks: named jobs of the release's run that must have succeeded. Pure. */

export type RunJob = {
  /** The pipeline job id (matrix instances share it). */
  jobId: string;
  /** The planned key, e.g. `test[node=18]`. */
  key: string;
  name: string;
  status: string;
};

export type CheckState = "succeeded" | "failed" | "pending" | "missing";

/** A check names a job by id, key or display name; every matching job (all matrix instances) must have succeeded. */
export function checkState(jobs: RunJob[], check: string): CheckState {
  const matching = jobs.filter((j) => j.jobId === check || j.key === check || j.name === check);
  if (matching.length === 0) return "missing";
  if (matching.some((j) => ["failed", "cancelled", "skipped"].includes(j.status))) return "failed";
  if (matching.every((j) => j.status === "succeeded")) return "succeeded";
  return "pending";
}

/** Why the required checks are not met, or null. `jobs` is null when the release has no run. */
export function checksProblem(required: string[], jobs: RunJob[] | null): string | null {
  if (required.length === 0) return null;
  if (!jobs) return `This environment requires the checks ${required.join(", ")}, and this release has no run to show them.`;
  const problems = required
    .map((check) => ({ check, state: checkState(jobs, check) }))
    .filter((c) => c.state !== "succeeded")
    .map(({ check, state }) =>
      state === "missing" ? `${check} is not a job of the run` : state === "failed" ? `${check} did not succeed` : `${check} has not finished (make the deploy job need it)`,
    );
  return problems.length ? `Required checks are not met: ${problems.join("; ")}.` : null;
}
