import type { Metadata } from "next";
import { NotificationSettings } from "@/components/notifications/notification-settings";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Notifications · ${(await params).slug}` };
}

export default async function ProjectNotificationsPage({ params }: Props) {
  const { slug } = await params;
  return <NotificationSettings slug={slug} />;
}
