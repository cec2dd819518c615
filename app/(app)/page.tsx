import type { Metadata } from "next";
import { ProjectList } from "@/components/projects/project-list";
import { serverApi } from "@/server/api/server-caller";

export const metadata: Metadata = { title: "Projects" };

export default async function ProjectsPage() {
  const { api, user } = await serverApi();
  const initial = await api.projects.list({ includeArchived: false });
  return <ProjectList viewerIsAdmin={Boolean(user?.isAdmin)} initial={initial} />;
}
