import type { Metadata } from "next";
import { ProjectSettings } from "@/components/projects/project-settings";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Settings · ${(await params).slug}` };
}

export default async function ProjectSettingsPage({ params }: Props) {
  const { slug } = await params;
  return <ProjectSettings slug={slug} />;
}
