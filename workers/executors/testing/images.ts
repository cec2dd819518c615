import type Dockerode from "dockerode";
import { buildBusyboxImage, buildWebAppImage, type WebAppOptions } from "../docker-images";

/**
 * The images tests and demos use, built offline from the host's static busybox
 * (no registry needed). Building is skipped when the tag already holds the same content.
 */
export const TEST_BUSYBOX_IMAGE = "slipway-test/busybox:1";

/** Web app releases for deployment tests: two good versions, one that fails requests, one never ready. */
export const WEB_APP_RELEASES = {
  v1: { version: "v1", healthy: true, failRequests: false },
  v2: { version: "v2", healthy: true, failRequests: false },
  v3: { version: "v3", healthy: true, failRequests: true },
  unhealthy: { version: "unhealthy", healthy: false, failRequests: false },
} satisfies Record<string, WebAppOptions>;

export type WebAppRelease = keyof typeof WEB_APP_RELEASES;

export function webAppImage(release: WebAppRelease): string {
  return `slipway-test/webapp:${release}`;
}

export async function ensureBusyboxImage(docker: Dockerode): Promise<string> {
  await buildBusyboxImage(docker, TEST_BUSYBOX_IMAGE);
  return TEST_BUSYBOX_IMAGE;
}

/** Builds the requested web app releases (all by default); returns release -> image reference. */
export async function ensureWebAppImages(
  docker: Dockerode,
  releases: WebAppRelease[] = Object.keys(WEB_APP_RELEASES) as WebAppRelease[],
): Promise<Record<WebAppRelease, string>> {
  const refs = {} as Record<WebAppRelease, string>;
  for (const release of releases) {
    await buildWebAppImage(docker, webAppImage(release), WEB_APP_RELEASES[release]);
    refs[release] = webAppImage(release);
  }
  return refs;
}
