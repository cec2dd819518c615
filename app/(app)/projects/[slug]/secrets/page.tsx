import type { Metadata } from "next";
import { SecretsPage } from "@/components/secrets/secrets-page";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Secrets · ${(await params).slug}` };
}

export default async function ProjectSecretsPage({ params }: Props) {
  const { slug } = await params;
  return <SecretsPage slug={slug} />;
}
