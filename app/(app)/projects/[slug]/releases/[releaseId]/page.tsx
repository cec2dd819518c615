import type { Metadata } from "next";
import { ReleasePage } from "@/components/releases/release-page";

type Props = { params: Promise<{ slug: string; releaseId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Release · ${(await params).slug}` };
}

export default async function ProjectReleasePage({ params }: Props) {
  const { slug, releaseId } = await params;
  return <ReleasePage slug={slug} releaseId={releaseId} />;
}
