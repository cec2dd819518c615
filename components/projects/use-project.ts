"use client";

import { trpc } from "@/components/providers/trpc";

/** The project a page is about, addressed by its slug, with the viewer's role in it. */
export function useProject(slug: string) {
  return trpc.projects.get.useQuery({ projectSlug: slug });
}
