import type { Metadata } from "next";
import { ReleasesPage } from "@/components/releases/releases-page";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Releases · ${(await params).slug}` };
}

export default async function ProjectReleasesPage({ params }: Props) {
  const { slug } = await params;
  return <ReleasesPage slug={slug} />;
}
