import { randomBytes } from "node:crypto";
import type { Database } from "@/db/client";
import { deployments } from "@/db/schema";
import { deploymentSpecSchema } from "@/server/deploy";
import type { Actor } from "@/server/services/actor";
import { createRelease } from "@/server/services/releases";
import { setTargetSettings } from "@/server/services/targets-config";

let nextPort = 20_000 + Math.floor(Math.random() * 30_000);

/** A router port no other environment of this test process was given (nothing listens on these: no worker runs). */
export function uniqueListenPort(): number {
  return nextPort++;
}

/**
 * Deployment rows without a worker, for tests of the API and services: an environment with
 * a local target, releases of a made-up artifact, and deployments recorded as finished.
 */
export async function seedReleases(db: Database, actor: Actor, projectId: string, environmentIds: string[], versions = ["1.0.1", "1.0.2"]) {
  for (const environmentId of environmentIds) {
    await setTargetSettings(db, actor, {
      projectId,
      environmentId,
      settings: { target: { kind: "local", command: ["node", "server.js"], listenPort: uniqueListenPort() }, strategy: { strategy: "rolling" } },
    });
  }
  const releases = [];
  for (const version of versions) {
    releases.push(await createRelease(db, actor, { projectId, version, artifactName: "app", artifactDigest: `sha256:${randomBytes(32).toString("hex")}`, commitSha: randomBytes(20).toString("hex") }));
  }
  return releases;
}

/** Records `releaseId` as having gone live in the environment, as a finished deployment would. */
export async function markLive(db: Database, input: { projectId: string; environmentId: string; releaseId: string }) {
  const [row] = await db
    .insert(deployments)
    .values({
      ...input,
      kind: "deploy",
      phase: "succeeded",
      spec: deploymentSpecSchema.parse({ strategy: "rolling" }) as unknown as Record<string, unknown>,
      message: "live",
      requestedByLabel: "seed",
      startedAt: new Date(),
      finishedAt: new Date(),
    })
    .returning();
  return row;
}
