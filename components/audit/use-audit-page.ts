"use client";

import { trpc } from "@/components/providers/trpc";

export const PAGE_SIZE = 50;

/** The filters as the API takes them; `projectId` is required when reading one project's trail. */
export type AuditQuery = { projectId?: string; actor?: string; action?: string; from?: string; to?: string };

/**
 * One page of events, newest first, below `before`. Site admins read every
 * event (`audit.listAll`), everyone else one project they maintain (`audit.list`).
 */
export function useAuditPage(scope: "all" | "project", query: AuditQuery, before: number | undefined) {
  const input = { ...query, before, limit: PAGE_SIZE };
  const all = trpc.audit.listAll.useQuery(input, { enabled: scope === "all" });
  const one = trpc.audit.list.useQuery({ ...input, projectId: query.projectId ?? "" }, { enabled: scope === "project" && !!query.projectId });
  return scope === "all" ? all : one;
}
