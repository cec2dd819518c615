import { createHash, randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { NotFoundError } from "./errors";

/**
 * Content-addressed files under `<dataDir>/blobs/sha256/<first 2 hex>/<hash>`.
 * Identical content is stored once, whoever uploads it. A blob appears under
 * its name only complete: it is written to a temporary file in the same
 * folder tree, flushed to disk, and renamed, which is atomic.
 */

export type BlobRef = { digest: string; size: number };

const DIGEST = /^sha256:([0-9a-f]{64})$/;

export function blobPath(dataDir: string, digest: string): string {
  const match = DIGEST.exec(digest);
  // Digests come from the database; never let one name a path of its choosing.
  if (!match) throw new Error(`Not a sha256 digest: ${JSON.stringify(digest)}.`);
  return path.join(dataDir, "blobs", "sha256", match[1].slice(0, 2), match[1]);
}

export class BlobTooLargeError extends Error {}

/**
 * Stores what the stream yields. `maxBytes` stops the write as soon as more
 * arrives, so a runaway producer cannot fill the disk first; `onTooLarge`
 * gives the error to throw then.
 */
export async function putBlob(
  dataDir: string,
  source: AsyncIterable<Uint8Array>,
  { maxBytes = Infinity, onTooLarge }: { maxBytes?: number; onTooLarge?: (maxBytes: number) => Error } = {},
): Promise<BlobRef> {
  const tmpDir = path.join(dataDir, "blobs", "tmp");
  await mkdir(tmpDir, { recursive: true });
  const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(8).toString("hex")}`);
  const hash = createHash("sha256");
  let size = 0;
  const file = await open(tmp, "wx", 0o600);
  try {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > maxBytes) throw onTooLarge?.(maxBytes) ?? new BlobTooLargeError(`The content is larger than ${maxBytes} bytes.`);
      hash.update(chunk);
      await file.write(chunk);
    }
    // On disk before it has a name: a crash must not leave a truncated blob behind a valid digest.
    await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
  await file.close();
  const digest = `sha256:${hash.digest("hex")}`;
  const final = blobPath(dataDir, digest);
  if (await exists(final)) {
    await rm(tmp, { force: true });
  } else {
    await mkdir(path.dirname(final), { recursive: true });
    // Two writers of the same content may race here; both rename identical bytes, so either wins.
    await rename(tmp, final);
  }
  return { digest, size };
}

export async function putBlobFromFile(dataDir: string, file: string): Promise<BlobRef> {
  return putBlob(dataDir, createReadStream(file));
}

export async function hasBlob(dataDir: string, digest: string): Promise<boolean> {
  return exists(blobPath(dataDir, digest));
}

export async function blobSize(dataDir: string, digest: string): Promise<number> {
  try {
    return (await stat(blobPath(dataDir, digest))).size;
  } catch (error) {
    if (isMissing(error)) throw missingBlob(digest);
    throw error;
  }
}

/** A stream of the blob's bytes; opened before returning, so a missing blob fails here, not mid-response. */
export async function openBlob(dataDir: string, digest: string): Promise<ReadStream> {
  const stream = createReadStream(blobPath(dataDir, digest));
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (error) => reject(isMissing(error) ? missingBlob(digest) : error));
  });
  return stream;
}

/** Reads the blob through and checks it still hashes to its name (bit rot, or someone edited it). */
export async function verifyBlob(dataDir: string, digest: string): Promise<boolean> {
  const hash = createHash("sha256");
  for await (const chunk of await openBlob(dataDir, digest)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}` === digest;
}

export async function deleteBlob(dataDir: string, digest: string): Promise<void> {
  await rm(blobPath(dataDir, digest), { force: true });
}

/** A size setting in MiB from the environment, e.g. SLIPWAY_ARTIFACT_MAX_MB; returns bytes. */
export function megabytesSetting(env: Record<string, string | undefined>, name: string, fallbackMb: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallbackMb * 1024 * 1024;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) throw new Error(`Setting ${name} expects a positive number of MiB (got ${JSON.stringify(raw)}).`);
  return Math.floor(mb * 1024 * 1024);
}

function missingBlob(digest: string) {
  return new NotFoundError(`The stored content ${digest.slice(0, 19)}… is missing from the data folder; it was deleted or the data folder was not fully restored.`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === "ENOENT";
}
