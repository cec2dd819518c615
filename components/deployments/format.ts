import type { RouterOutputs } from "@/components/ui/api-types";

export type Board = RouterOutputs["deployments"]["board"];
export type BoardColumn = Board["columns"][number];
export type ReleaseSummary = NonNullable<BoardColumn["current"]>;
export type DeploymentSummary = NonNullable<BoardColumn["latest"]>;
export type DeploymentDetail = RouterOutputs["deployments"]["get"];
export type DeploymentPreview = RouterOutputs["deployments"]["preview"];
export type ReleaseRow = RouterOutputs["releases"]["list"][number];
export type ReleaseDetail = RouterOutputs["releases"]["get"];

export const ACTIVE_PHASES = ["pending", "progressing", "paused", "rolling_back"];
export const ENDED_PHASES = ["succeeded", "rolled_back", "aborted", "failed"];

const phases: Record<string, { icon: string; label: string; tone: "ok" | "bad" | "running" | "muted" | "warn" }> = {
  // In line behind another deployment, or held by the rules: the message beside it says which.
  queued: { icon: "◷", label: "Waiting", tone: "muted" },
  pending: { icon: "◷", label: "Starting", tone: "running" },
  progressing: { icon: "●", label: "Progressing", tone: "running" },
  paused: { icon: "❚❚", label: "Paused", tone: "warn" },
  rolling_back: { icon: "↺", label: "Rolling back", tone: "warn" },
  succeeded: { icon: "✓", label: "Succeeded", tone: "ok" },
  rolled_back: { icon: "↺", label: "Rolled back", tone: "bad" },
  aborted: { icon: "⊘", label: "Aborted", tone: "muted" },
  failed: { icon: "✕", label: "Failed", tone: "bad" },
};

export const phaseLook = (phase: string) => phases[phase] ?? { icon: "?", label: phase, tone: "muted" as const };

export const kindLabel: Record<string, string> = { deploy: "Deploy", promotion: "Promotion", rollback: "Rollback" };

export const strategyLabel: Record<string, string> = { rolling: "rolling", "blue-green": "blue-green", canary: "canary" };

/** sha256:0123456789ab… → sha256:0123456789ab, enough to tell two apart at a glance; the whole value in a title. */
export function shortDigest(value: string | null | undefined): string {
  if (!value) return "—";
  const match = /^(.*?)(sha256:)([0-9a-f]{12})[0-9a-f]*$/i.exec(value);
  return match ? `${match[1]}${match[2]}${match[3]}` : value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

/** What a release runs: the image pinned by digest, the image as written, or the stored artifact. */
export function releaseArtifact(release: Pick<ReleaseSummary, "image" | "imageDigest" | "artifactName" | "artifactDigest">): { label: string; value: string } {
  if (release.imageDigest) return { label: "image digest", value: release.imageDigest };
  if (release.image) return { label: "image", value: release.image };
  return { label: `artifact ${release.artifactName ?? ""}`.trim(), value: release.artifactDigest ?? "—" };
}

export const shortSha = (sha: string) => sha.slice(0, 7);

/** Who asked for a deployment, as people read it: "you", a member's name, or the pipeline run ("run #4 (deploy)"). */
export function requester(deployment: Pick<DeploymentSummary, "requestedBy" | "requestedByLabel" | "runId">, name: (id: string | null) => string | null): string {
  if (deployment.runId) return deployment.requestedByLabel;
  return (deployment.requestedBy && name(deployment.requestedBy)) || deployment.requestedByLabel;
}
