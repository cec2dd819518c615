import type { Metadata } from "next";
import { PipelinePage } from "@/components/pipeline-yaml/pipeline-page";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Pipeline · ${(await params).slug}` };
}

export default async function ProjectPipelinePage({ params }: Props) {
  const { slug } = await params;
  return <PipelinePage slug={slug} />;
}
