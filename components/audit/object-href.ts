/** The part of an audit event that says what it was about. */
export type AuditObject = { objectType: string; objectId: string | null; before?: unknown; after?: unknown };

const field = (value: unknown, key: string): string | null => {
  const v = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : null;
  return typeof v === "string" && v ? v : null;
};

/**
 * Where the event's object lives, when it has a page: the approval request's landing link,
 * the deployment, release, run or environment (whose page holds its protection rules, freeze
 * windows and approver groups), the project's notification webhooks, secrets, members and
 * pipeline. Null for an object with no page (a person, a deleted project's object).
 */
export function objectHref(e: AuditObject, project: { slug: string } | undefined): string | null {
  if (e.objectType === "approval_request" && e.objectId) return `/go/approval/${e.objectId}`;
  if (e.objectType === "token") return "/tokens";
  if (!project) return null;
  const base = `/projects/${project.slug}`;
  const pages: Record<string, string> = { deployment: "deployments", environment: "environments", release: "releases", run: "runs" };
  if (pages[e.objectType] && e.objectId) return `${base}/${pages[e.objectType]}/${e.objectId}`;
  switch (e.objectType) {
    case "job": {
      const runId = field(e.after, "runId");
      return runId ? `${base}/runs/${runId}` : null;
    }
    case "freeze_window": {
      // A window of one environment is on its page; one for every environment on the environments board.
      const environmentId = field(e.after, "environmentId") ?? field(e.before, "environmentId");
      return environmentId ? `${base}/environments/${environmentId}` : `${base}/deployments`;
    }
    case "approver_group":
      return `${base}/deployments`;
    case "notification_hook":
      return `${base}/settings/notifications`;
    case "member":
      return `${base}/settings`;
    case "secret":
      return `${base}/secrets`;
    case "pipeline_revision":
      return `${base}/pipeline`;
    case "project":
      return base;
    default:
      return null;
  }
}
