import Docker from "dockerode";
import { describe, it } from "vitest";

/**
 * Tests that need a real Docker engine. Without one they are skipped, loudly,
 * on a developer's machine; under CI (process.env.CI set) a missing engine is a
 * failure, so a broken runner can never turn the suite green by skipping it.
 */
export type DockerProbe = { ok: true; docker: Docker } | { ok: false; reason: string };

export async function probeDocker(docker = new Docker()): Promise<DockerProbe> {
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("no answer within 5 s")), 5000).unref()),
    ]);
    return { ok: true, docker };
  } catch (err) {
    const where = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
    return { ok: false, reason: `Docker engine at ${where} is unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Call at the top of a test file: warns and lets `describe.skipIf(!probe.ok)` skip, or fails under CI. */
export function requireDockerOrSkip(probe: DockerProbe, suite: string): void {
  if (probe.ok) return;
  if (process.env.CI) {
    describe(suite, () => {
      it("needs a Docker engine (CI is set, so this fails instead of skipping)", () => {
        throw new Error(probe.reason);
      });
    });
    return;
  }
  console.warn(`\n[SKIPPED] ${suite}: ${probe.reason}. Start Docker to run these tests.\n`);
}
