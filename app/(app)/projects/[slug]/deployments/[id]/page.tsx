import type { Metadata } from "next";
import { DeploymentPage } from "@/components/deployments/deployment-page";

type Props = { params: Promise<{ slug: string; id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Deployment · ${(await params).slug}` };
}

export default async function ProjectDeploymentPage({ params }: Props) {
  const { slug, id } = await params;
  return <DeploymentPage slug={slug} deploymentId={id} />;
}
