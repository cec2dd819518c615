import { getDb } from "@/db/client";
import { clientIp } from "@/server/api/context";
import { handleGitlabDelivery } from "@/server/services/webhooks";
import { readRawBody, webhookDeps } from "@/server/services/webhook-secrets";

export const dynamic = "force-dynamic";

/** GitLab's webhook URL for one project: the service compares X-Gitlab-Token with the project's secret and decides. */
export async function POST(request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const body = await readRawBody(request);
  if (body === null) return Response.json({ outcome: "refused", message: "The delivery is larger than 25 MB." }, { status: 413 });
  const { status, body: answer } = await handleGitlabDelivery(
    getDb(),
    {
      slug: (await params).slug,
      event: request.headers.get("x-gitlab-event"),
      eventUuid: request.headers.get("x-gitlab-event-uuid"),
      token: request.headers.get("x-gitlab-token"),
      rawBody: body,
      ip: clientIp(request.headers),
    },
    webhookDeps(),
  );
  return Response.json(answer, { status });
}
