import { filterMatches } from "@/server/pipeline/triggers";
import type { ProtectionRules } from "./rules";

export type ReleaseRef = { branch: string | null; tag: string | null };

/** Why the release's branch or tag may not deploy to the environment, or null when it may. */
export function refProblem(rules: Pick<ProtectionRules, "allowedBranches" | "allowedTags">, ref: ReleaseRef, environmentName: string): string | null {
  const { allowedBranches: branches, allowedTags: tags } = rules;
  if (branches.length === 0 && tags.length === 0) return null;
  if (ref.tag && tags.length && filterMatches(tags, ref.tag)) return null;
  if (ref.branch && branches.length && filterMatches(branches, ref.branch)) return null;
  const allowed = [branches.length ? `branches ${branches.join(", ")}` : null, tags.length ? `tags ${tags.join(", ")}` : null].filter(Boolean).join(" and ");
  if (!ref.branch && !ref.tag) return `Only ${allowed} may deploy to ${environmentName}, and this release's branch or tag is not known.`;
  const what = ref.tag ? `tag ${ref.tag}` : `branch ${ref.branch}`;
  return `Only ${allowed} may deploy to ${environmentName}; this release was built from ${what}.`;
}
