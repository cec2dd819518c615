import type { Metadata } from "next";
import { RunPage } from "@/components/runs/run-page";

type Props = { params: Promise<{ slug: string; runId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { slug, runId } = await params;
  return { title: `Run ${/^\d+$/.test(runId) ? `#${runId}` : runId} · ${slug}` };
}

/** `runId` is a run number (as people share runs) or a run id; the graph view below it takes the id. */
export default async function ProjectRunPage({ params }: Props) {
  const { slug, runId } = await params;
  return <RunPage slug={slug} runRef={runId} />;
}
