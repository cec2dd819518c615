import type { Metadata } from "next";
import { DeploymentsPage } from "@/components/deployments/environments-board";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Deployments · ${(await params).slug}` };
}

export default async function ProjectDeploymentsPage({ params }: Props) {
  const { slug } = await params;
  return <DeploymentsPage slug={slug} />;
}
