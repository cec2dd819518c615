import type { Metadata } from "next";
import { RunGraphPage } from "@/components/run-graph/run-graph-page";

type Props = { params: Promise<{ slug: string; runId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Run graph · ${(await params).slug}` };
}

export default async function ProjectRunGraphPage({ params }: Props) {
  const { slug, runId } = await params;
  return <RunGraphPage slug={slug} runId={runId} />;
}
