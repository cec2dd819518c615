import type { Metadata } from "next";
import { ProjectOverview } from "@/components/projects/project-overview";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: (await params).slug };
}

export default async function ProjectPage({ params }: Props) {
  const { slug } = await params;
  return <ProjectOverview slug={slug} />;
}
