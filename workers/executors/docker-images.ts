import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import type Dockerode from "dockerode";
import { Header } from "tar";

/**
 * Builds small images without a registry: a root filesystem made in memory from
 * the host's static busybox, imported with `docker import`. Used by tests, the
 * deployment demos (web app v1/v2/v3) and air-gapped installs.
 */

/** Marks an image with a hash of what went into it, so an unchanged image is not rebuilt. */
export const CONTENT_LABEL = "slipway.content";

export type RootfsEntry =
  | { type: "dir"; path: string; mode?: number }
  | { type: "file"; path: string; mode?: number; data: Buffer | string }
  | { type: "symlink"; path: string; target: string };

export type WebAppOptions = {
  version: string;
  /** false: /healthz is absent (404), so readiness checks fail. */
  healthy: boolean;
  /** true: pages answer 500 (a CGI), so canary analysis sees errors; /healthz still follows `healthy`. */
  failRequests: boolean;
};

// A fixed time keeps the tar, and so the content hash, the same from one build to the next.
const EPOCH = new Date("2020-01-01T00:00:00Z");

/** An uncompressed tar of `entries`, owned by root; node-tar's Header does the format (and long names). */
export function rootfsTar(entries: RootfsEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === "file" ? Buffer.from(entry.data) : Buffer.alloc(0);
    const header = new Header({
      path: entry.type === "dir" ? `${entry.path.replace(/\/$/, "")}/` : entry.path,
      type: entry.type === "dir" ? "Directory" : entry.type === "file" ? "File" : "SymbolicLink",
      linkpath: entry.type === "symlink" ? entry.target : undefined,
      mode: entry.type === "symlink" ? 0o777 : (entry.mode ?? (entry.type === "dir" ? 0o755 : 0o644)),
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
      size: data.length,
      mtime: EPOCH,
    });
    const block = Buffer.alloc(512);
    if (header.encode(block, 0)) throw new Error(`path too long for a tar header: ${entry.path}`);
    blocks.push(block, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The files of a minimal Linux userland: busybox with every applet linked into /bin. */
export function busyboxRootfs(busyboxPath = "/bin/busybox"): RootfsEntry[] {
  const binary = readFileSync(busyboxPath);
  assertStatic(binary, busyboxPath);
  const applets = execFileSync(busyboxPath, ["--list"], { encoding: "utf8" })
    .split("\n")
    .map((name) => name.trim())
    .filter((name) => name !== "" && !name.includes("/") && name !== "busybox");
  return [
    { type: "dir", path: "bin" },
    { type: "file", path: "bin/busybox", mode: 0o755, data: binary },
    ...applets.map((name): RootfsEntry => ({ type: "symlink", path: `bin/${name}`, target: "busybox" })),
    // Scripts name /usr/bin/env, /sbin/ip and the like; one folder serves them all.
    { type: "symlink", path: "sbin", target: "bin" },
    { type: "dir", path: "usr" },
    { type: "symlink", path: "usr/bin", target: "../bin" },
    { type: "symlink", path: "usr/sbin", target: "../bin" },
    { type: "dir", path: "etc" },
    { type: "file", path: "etc/passwd", data: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" },
    { type: "file", path: "etc/group", data: "root:x:0:\nnogroup:x:65534:\n" },
    { type: "dir", path: "root", mode: 0o700 },
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "dir", path: "workspace" },
  ];
}

/** `docker import` of a busybox root filesystem; a no-op when `tag` already holds the same content. */
export async function buildBusyboxImage(docker: Dockerode, tag: string, busyboxPath?: string): Promise<string> {
  return importRootfs(docker, tag, busyboxRootfs(busyboxPath), ['CMD ["sh"]']);
}

/** busybox httpd on port 8080 serving the version at / and /healthz; see WebAppOptions for the failure modes. */
export async function buildWebAppImage(docker: Dockerode, tag: string, options: WebAppOptions, busyboxPath?: string) {
  const page = `<!doctype html><title>web app ${options.version}</title><h1>version ${options.version}</h1>\n`;
  const fail = `#!/bin/sh\nprintf 'HTTP/1.0 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nversion ${options.version} fails on purpose\\n'\n`;
  const www: RootfsEntry[] = [
    { type: "dir", path: "www" },
    { type: "file", path: "version", data: `${options.version}\n` },
    // busybox httpd answers a folder URL with /cgi-bin/index.cgi when the folder has no index.html.
    options.failRequests
      ? { type: "file", path: "www/cgi-bin/index.cgi", mode: 0o755, data: fail }
      : { type: "file", path: "www/index.html", data: page },
  ];
  if (options.failRequests) www.splice(1, 0, { type: "dir", path: "www/cgi-bin" });
  if (options.healthy) www.push({ type: "file", path: "www/healthz", data: "ok\n" });
  return importRootfs(docker, tag, [...busyboxRootfs(busyboxPath), ...www], [
    'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
    "EXPOSE 8080/tcp",
    `LABEL slipway.version=${JSON.stringify(options.version)}`,
  ]);
}

/** Imports `entries` as `tag` with Dockerfile-style `changes`; returns the image id. */
export async function importRootfs(docker: Dockerode, tag: string, entries: RootfsEntry[], changes: string[]) {
  const tar = rootfsTar(entries);
  const allChanges = ["ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", ...changes];
  const content = createHash("sha256").update(tar).update(JSON.stringify(allChanges)).digest("hex");
  const existing = await inspectOrNull(docker, tag);
  if (existing?.Config?.Labels?.[CONTENT_LABEL] === content) return existing.Id;

  const { repo, tag: version } = splitTag(tag);
  const stream = await docker.importImage(Readable.from([tar]), {
    repo,
    tag: version,
    changes: [...allChanges, `LABEL ${CONTENT_LABEL}=${content}`],
  });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string }>) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(`Could not import image "${tag}": ${failed}`));
      else resolve();
    }),
  );
  const built = await inspectOrNull(docker, tag);
  if (!built) throw new Error(`Image "${tag}" was imported but the engine does not list it.`);
  return built.Id;
}

async function inspectOrNull(docker: Dockerode, tag: string) {
  try {
    return await docker.getImage(tag).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}

/** "host:5000/team/app:v1" -> repo "host:5000/team/app", tag "v1"; a name without a tag means "latest". */
export function splitTag(reference: string): { repo: string; tag: string } {
  const colon = reference.lastIndexOf(":");
  if (colon > reference.lastIndexOf("/")) return { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repo: reference, tag: "latest" };
}

/** A dynamically linked busybox would fail inside an empty image with a baffling "no such file". */
function assertStatic(binary: Buffer, where: string) {
  const isElf64 = binary.readUInt32BE(0) === 0x7f454c46 && binary[4] === 2;
  if (!isElf64) return;
  const phoff = Number(binary.readBigUInt64LE(0x20));
  const phentsize = binary.readUInt16LE(0x36);
  const phnum = binary.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const PT_INTERP = 3;
    if (binary.readUInt32LE(phoff + i * phentsize) === PT_INTERP) {
      throw new Error(`${where} is dynamically linked, so it cannot run in an empty image. Install a static busybox (Debian: busybox-static).`);
    }
  }
}
