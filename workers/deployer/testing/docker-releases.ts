import type Dockerode from "dockerode";
import type { Project, Release, User } from "@/db/schema";
import type { Database } from "@/db/client";
import { createRelease } from "@/server/services/releases";
import { actorFor } from "@/server/testing/fixtures";
import { buildWebAppImage, type WebAppOptions } from "@/workers/executors/docker-images";

/**
 * Releases of the busybox web app (workers/executors/docker-images.ts), built offline: the
 * image is tagged per version and the release pins it by image id, as a release of a build
 * that never reached a registry does.
 */
export async function dockerRelease(
  db: Database,
  docker: Dockerode,
  owner: User,
  project: Project,
  version: string,
  behaviour: Partial<Omit<WebAppOptions, "version">> = {},
): Promise<Release> {
  const tag = `slipway-deploy-test/webapp:${version}-${behaviour.healthy === false ? "unhealthy" : behaviour.failRequests ? "failing" : "ok"}`;
  const id = await buildWebAppImage(docker, tag, { version, healthy: true, failRequests: false, ...behaviour });
  return createRelease(db, actorFor(owner), { projectId: project.id, version, image: tag, imageDigest: id, commitSha: "0".repeat(39) + version.length });
}
