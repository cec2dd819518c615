import type { RouterOutputs } from "@/components/ui/api-types";

export type RunSummary = RouterOutputs["runs"]["list"][number];
export type RunDetail = RouterOutputs["runs"]["get"];
export type JobDetail = RunDetail["jobs"][number];
export type ArtifactSummary = { name: string; sizeBytes: number; fileCount: number; jobId: string | null };

export const ACTIVE_RUN = ["queued", "running"];
export const ACTIVE_JOB = ["pending", "queued", "running"];

/** "1m 05s", "2h 03m", "4s": how long from `start` to `end` (or to `now` while it runs). */
export function formatDuration(start: Date | null | undefined, end: Date | null | undefined, now: number): string {
  if (!start) return "—";
  const ms = Math.max(0, (end ? end.getTime() : now) - start.getTime());
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** "3 minutes ago": for lists, with the exact time in a title. */
export function formatAgo(value: Date | null | undefined, now: number): string {
  if (!value) return "—";
  const s = Math.round((now - value.getTime()) / 1000);
  const ago = (count: number, unit: string) => `${count} ${unit}${count === 1 ? "" : "s"} ago`;
  if (s < 45) return "just now";
  if (s < 3_600) return ago(Math.max(1, Math.round(s / 60)), "minute");
  if (s < 86_400) return ago(Math.round(s / 3_600), "hour");
  if (s < 30 * 86_400) return ago(Math.round(s / 86_400), "day");
  return value.toLocaleDateString();
}

const triggers: Record<string, string> = {
  push: "Push",
  pull_request: "Pull request",
  tag: "Tag",
  manual: "Manual",
  schedule: "Schedule",
  api: "API",
  poll: "Repository poll",
  rerun: "Re-run",
};

export const triggerLabel = (trigger: string) => triggers[trigger] ?? trigger;

export const shortSha = (sha: string) => sha.slice(0, 7);

/** The first line of a commit message, which is its title. */
export const messageTitle = (message: string | null | undefined) => message?.split("\n")[0]?.trim() || null;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
