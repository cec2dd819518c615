import { formatBytes, type ArtifactSummary, type JobDetail } from "./format";

/** Files the run's jobs uploaded, each downloadable as a .tar.gz. */
export function ArtifactsList({ runId, artifacts, jobs }: { runId: string; artifacts: ArtifactSummary[]; jobs: JobDetail[] }) {
  if (artifacts.length === 0) return null;
  const jobName = (id: string | null) => jobs.find((j) => j.id === id)?.name;
  return (
    <section className="stack" aria-labelledby="artifacts-title" style={{ gap: "0.4rem" }}>
      <h3 id="artifacts-title" style={{ margin: "0.5rem 0 0" }}>
        Artifacts
      </h3>
      <ul style={{ margin: 0, paddingLeft: "1.2rem" }}>
        {artifacts.map((a) => (
          <li key={a.name}>
            <a href={`/api/runs/${runId}/artifacts/${encodeURIComponent(a.name)}`} download>
              {a.name}.tar.gz
            </a>{" "}
            <span className="muted small">
              {formatBytes(a.sizeBytes)} · {a.fileCount} {a.fileCount === 1 ? "file" : "files"}
              {jobName(a.jobId) && ` · from ${jobName(a.jobId)}`}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
