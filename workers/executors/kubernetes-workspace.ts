import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Writable, type Readable } from "node:stream";
import * as tar from "tar";

/**
 * Keeps a Pod's /workspace (an emptyDir) and the worker's workspace folder the
 * same, with tar over exec like `kubectl cp`. Both directions mirror: files
 * deleted on one side are deleted on the other, so a step's `rm -rf dist`
 * is not undone by stale copies.
 */

/** Runs a command in the job container and resolves with its exit code. */
export type PodRunner = (command: string[], io: { stdin?: Readable; stdout?: Writable; stderr?: Writable }) => Promise<number>;

// `sh -c COPY_IN slipway-copy-in <bytes>`: empty the folder, then unpack exactly <bytes> of stdin (no end-of-stdin under v4).
const COPY_IN = 'cd /workspace && rm -rf ./* ./.[!.]* ./..?* && head -c "$1" | tar -x -f -';

/** Replaces the Pod's /workspace with the worker's folder. */
export async function copyWorkspaceIn(root: string, run: PodRunner): Promise<void> {
  const archive = path.join(os.tmpdir(), `slipway-workspace-${randomBytes(6).toString("hex")}.tar`);
  try {
    // The top-level names rather than ".": the archive must not reset /workspace's own owner and mode.
    const names = await readdir(root);
    if (names.length > 0) await tar.c({ cwd: root, file: archive, portable: true }, names);
    else await writeFile(archive, Buffer.alloc(1024));
    const { size } = await stat(archive);
    // The file's end must not end stdin: under the v4 protocol that closes the connection before the exit status.
    const stdin = new PassThrough();
    createReadStream(archive).pipe(stdin, { end: false });
    const errors = collect();
    const code = await run(["sh", "-c", COPY_IN, "slipway-copy-in", String(size)], { stdin, stderr: errors.stream });
    if (code !== 0) throw new Error(`Could not copy the workspace into the Pod (exit ${code}): ${errors.text() || "no message"}`);
  } finally {
    await rm(archive, { force: true });
  }
}

/** Replaces the worker's folder with the Pod's /workspace. node-tar refuses `..` and absolute paths, so a hostile Pod cannot write outside it. */
export async function copyWorkspaceOut(root: string, run: PodRunner): Promise<void> {
  const seen = new Set<string>();
  const extract = tar.x({
    cwd: root,
    // Whatever user the Pod ran as, the worker owns its folder.
    preserveOwner: false,
    filter: (entryPath: string) => {
      const rel = entryPath.replace(/^\.\/?/, "").replace(/\/+$/, "");
      if (rel === "") return false;
      seen.add(rel);
      return true;
    },
  });
  const unpacked = new Promise<void>((resolve, reject) => {
    extract.on("close", resolve);
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  // Awaited only after the command; until then a rejection must not count as unhandled.
  unpacked.catch(() => undefined);
  const errors = collect();
  const code = await run(["tar", "-c", "-f", "-", "-C", "/workspace", "."], { stdout: extract as unknown as Writable, stderr: errors.stream });
  if (code !== 0) throw new Error(`Could not copy the workspace out of the Pod (exit ${code}): ${errors.text() || "no message"}`);
  await unpacked;
  // Only after a complete archive: a failed copy must never delete the worker's files.
  await removeMissing(root, seen, "");
}

/** Cheap change detection (names, sizes, modes, times) so an unchanged folder is not copied in again. */
export async function workspaceFingerprint(root: string): Promise<string> {
  const hash = createHash("sha256");
  const names = (await readdir(root, { recursive: true })).sort();
  for (const name of names) {
    const info = await lstat(path.join(root, name));
    hash.update(`${name}\0${info.mode}\0${info.size}\0${info.mtimeMs}\n`);
  }
  return hash.digest("hex");
}

async function removeMissing(root: string, keep: Set<string>, rel: string) {
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (!keep.has(child)) await rm(path.join(root, child), { recursive: true, force: true });
    else if (entry.isDirectory()) await removeMissing(root, keep, child);
  }
}

function collect() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (chunks.length < 64) chunks.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8").trim() };
}
