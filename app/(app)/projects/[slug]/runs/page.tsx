import type { Metadata } from "next";
import { RunsPage } from "@/components/runs/runs-page";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Runs · ${(await params).slug}` };
}

export default async function ProjectRunsPage({ params }: Props) {
  const { slug } = await params;
  return <RunsPage slug={slug} />;
}
