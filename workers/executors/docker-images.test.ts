import type Docker from "dockerode";
import { Parser, type ReadEntry } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { busyboxRootfs, buildBusyboxImage, CONTENT_LABEL, rootfsTar, splitTag } from "./docker-images";
import { probeDocker, requireDockerOrSkip } from "./testing/docker-engine";
import { ensureBusyboxImage, ensureWebAppImages, TEST_BUSYBOX_IMAGE } from "./testing/images";

describe("offline root filesystems", () => {
  it("writes a tar that tar tools read back: root-owned, modes kept, symlinks, sticky /tmp", async () => {
    const entries: Array<{ path: string; type: string; mode?: number; uid?: number; linkpath?: string }> = [];
    const parser = new Parser({ onReadEntry: (e: ReadEntry) => (entries.push({ path: e.path, type: e.type, mode: e.mode, uid: e.uid, linkpath: e.linkpath }), e.resume()) });
    const done = new Promise((resolve) => parser.on("end", resolve));
    parser.end(rootfsTar(busyboxRootfs()));
    await done;
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get("bin/busybox")).toMatchObject({ type: "File", mode: 0o755, uid: 0 });
    expect(byPath.get("tmp/")).toMatchObject({ type: "Directory", mode: 0o1777 });
    for (const applet of ["sh", "ls", "cat", "sleep", "kill", "env", "httpd", "wget", "base64", "tar", "head", "printf"]) {
      expect(byPath.get(`bin/${applet}`), applet).toMatchObject({ type: "SymbolicLink", linkpath: "busybox" });
    }
    expect(byPath.get("etc/passwd")).toMatchObject({ type: "File" });
  });

  it("refuses a dynamically linked busybox with a way out", () => {
    expect(() => busyboxRootfs("/bin/ls")).toThrow(/dynamically linked.*busybox-static/);
  });

  it("splits references into repository and tag", () => {
    expect(splitTag("slipway-test/webapp:v1")).toEqual({ repo: "slipway-test/webapp", tag: "v1" });
    expect(splitTag("localhost:5000/team/app")).toEqual({ repo: "localhost:5000/team/app", tag: "latest" });
  });
});

const probe = await probeDocker();
requireDockerOrSkip(probe, "offline images");

describe.skipIf(!probe.ok)("offline images (real engine)", () => {
  const docker = (probe as { docker: Docker }).docker;
  const containers: Docker.Container[] = [];
  afterAll(async () => {
    await Promise.all(containers.map((c) => c.remove({ force: true })));
  });

  it("imports busybox without a registry and skips an unchanged rebuild", async () => {
    await ensureBusyboxImage(docker);
    const info = await docker.getImage(TEST_BUSYBOX_IMAGE).inspect();
    expect(info.Config.Labels?.[CONTENT_LABEL]).toMatch(/^[0-9a-f]{64}$/);
    const started = performance.now();
    expect(await buildBusyboxImage(docker, TEST_BUSYBOX_IMAGE)).toBe(info.Id);
    console.info(`[figures] busybox image: unchanged rebuild skipped in ${(performance.now() - started).toFixed(0)} ms, size ${(info.Size / 1e6).toFixed(1)} MB`);
  });

  it("serves web app versions that are healthy, unhealthy or failing", async () => {
    const images = await ensureWebAppImages(docker, ["v1", "v3", "unhealthy"]);
    const serve = async (image: string) => {
      const container = await docker.createContainer({
        Image: image,
        ExposedPorts: { "8080/tcp": {} },
        HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
      });
      containers.push(container);
      await container.start();
      const port = (await container.inspect()).NetworkSettings.Ports["8080/tcp"][0].HostPort;
      const get = async (p: string) => {
        for (let attempt = 0; ; attempt++) {
          try {
            const res = await fetch(`http://127.0.0.1:${port}${p}`);
            return { status: res.status, body: await res.text() };
          } catch (err) {
            if (attempt > 50) throw err;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      };
      return { root: await get("/"), health: await get("/healthz") };
    };
    const v1 = await serve(images.v1);
    expect(v1.root.status).toBe(200);
    expect(v1.root.body).toContain("version v1");
    expect(v1.health.status).toBe(200);
    const v3 = await serve(images.v3);
    expect(v3.root).toEqual({ status: 500, body: "version v3 fails on purpose\n" });
    expect(v3.health.status).toBe(200);
    const unhealthy = await serve(images.unhealthy);
    expect(unhealthy.root.status).toBe(200);
    expect(unhealthy.health.status).toBe(404);
  });
});
