import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { deploymentSpecSchema } from "@/server/deploy";
import { freePort } from "@/server/config/ports";
import { createProjectAs, createUser } from "@/server/testing/fixtures";
import { probeDocker, requireDockerOrSkip } from "@/workers/executors/testing/docker-engine";
import { dockerRelease } from "@/workers/deployer/testing/docker-releases";
import { createDockerTarget, LABELS } from "./docker";
import { releaseRef } from "@/workers/deployer/actions";

const probe = await probeDocker();
requireDockerOrSkip(probe, "docker target");

describe.skipIf(!probe.ok)("the docker target (real engine)", () => {
  const docker = (probe as { docker: Docker }).docker;
  let t: TestDatabase;
  const check = deploymentSpecSchema.parse({ strategy: "rolling", healthCheck: { path: "/healthz" } }).healthCheck;

  beforeAll(async () => {
    t = await createTestDatabase();
  });

  afterAll(async () => {
    await t.close();
  });

  it("starts a labelled container of the release's pinned image, probes it, and stops it", async () => {
    const owner = await createUser(t.db);
    const project = await createProjectAs(t.db, owner);
    const [env] = await t.db.query.environments.findMany({ where: (e, { eq }) => eq(e.projectId, project.id) });
    const release = await dockerRelease(t.db, docker, owner, project, "2.0.0");
    const target = createDockerTarget(
      { db: t.db, projectId: project.id, environmentId: env.id, deploymentId: crypto.randomUUID(), dataDir: "/tmp", routerUrl: "http://127.0.0.1:9" },
      { kind: "docker", port: 8080, listenPort: await freePort(), stopTimeoutSeconds: 1 },
      docker,
    );
    await target.prepare();
    const ref = releaseRef(release, "docker");
    expect(ref.image).toMatch(/^sha256:[0-9a-f]{64}$/);
    const id = await target.startInstance(ref, { GREETING: "hello" });
    try {
      const info = await docker.getContainer(id).inspect();
      expect(info.Config.Labels).toMatchObject({ [LABELS.environment]: env.id, [LABELS.release]: release.id, [LABELS.version]: "2.0.0" });
      expect(info.Config.Env).toContain("GREETING=hello");
      expect(await target.listInstances()).toEqual([{ id, version: "2.0.0", status: "running" }]);
      let status: number | null = null;
      for (let i = 0; i < 50 && status !== 200; i++) status = (await target.probe(id, check)).status;
      expect(status).toBe(200);
      expect(await (await fetch(target.previewUrl(id)!)).text()).toContain("version 2.0.0");
    } finally {
      await target.stopInstance(id, { drain: false });
    }
    expect(await target.listInstances()).toEqual([]);
    // Stopping what is gone is a no-op, as the Target contract asks.
    await target.stopInstance(id, { drain: true });
  });
});
