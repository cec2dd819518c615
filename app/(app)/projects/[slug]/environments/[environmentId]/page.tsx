import type { Metadata } from "next";
import { EnvironmentSettings } from "@/components/environments/environment-settings";

type Props = { params: Promise<{ slug: string; environmentId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Environment · ${(await params).slug}` };
}

export default async function EnvironmentPage({ params }: Props) {
  const { slug, environmentId } = await params;
  return <EnvironmentSettings slug={slug} environmentId={environmentId} />;
}
