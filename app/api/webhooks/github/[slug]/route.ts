import { getDb } from "@/db/client";
import { clientIp } from "@/server/api/context";
import { handleGithubDelivery } from "@/server/services/webhooks";
import { readRawBody, webhookDeps } from "@/server/services/webhook-secrets";

export const dynamic = "force-dynamic";

/** GitHub's Payload URL for one project: the service checks the signature over the raw body and decides. */
export async function POST(request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const body = await readRawBody(request);
  if (body === null) return Response.json({ outcome: "refused", message: "The delivery is larger than 25 MB." }, { status: 413 });
  const { status, body: answer } = await handleGithubDelivery(
    getDb(),
    {
      slug: (await params).slug,
      event: request.headers.get("x-github-event"),
      deliveryId: request.headers.get("x-github-delivery"),
      signature: request.headers.get("x-hub-signature-256"),
      contentType: request.headers.get("content-type"),
      rawBody: body,
      ip: clientIp(request.headers),
    },
    webhookDeps(),
  );
  return Response.json(answer, { status });
}
