import { lstat, mkdir, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { and, asc, eq } from "drizzle-orm";
import * as tar from "tar";
import type { Database } from "@/db/client";
import { artifacts } from "@/db/schema";
import { blobPath, megabytesSetting, openBlob, putBlob, verifyBlob, type BlobRef } from "./blob-store";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { isUniqueViolation } from "./pg-errors";
import { checkRelativePath, resolveInside, type PathWording } from "./safe-paths";

/**
 * Artifacts: files a job keeps on its run. Packed as a portable tar (no
 * owners, no times, so identical content gives identical bytes), gzipped, and
 * kept in the content-addressed blob store; the row names it per run.
 */

export const ARTIFACT_NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function artifactMaxBytes(env: Record<string, string | undefined> = process.env): number {
  return megabytesSetting(env, "SLIPWAY_ARTIFACT_MAX_MB", 1024);
}

export type UploadResult = { digest: string; size: number; files: number };

export async function uploadArtifact(
  db: Database,
  input: { dataDir: string; runId: string; jobId: string | null; name: string; workspace: string; path: string; maxBytes?: number },
): Promise<UploadResult> {
  const name = checkArtifactName(input.name);
  const taken = () => new ConflictError(`This run already has an artifact named "${name}"; artifacts are not replaced. Upload under another name.`, "name");
  if (await findArtifact(db, input.runId, name)) throw taken();
  const wording = { what: "Artifact path" };
  const target = await resolveInside(input.workspace, input.path, wording);
  const info = await lstat(target).catch(() => null);
  if (!info) throw new InvalidInputError(`Artifact path "${input.path}" does not exist in the workspace; check the path, or the step that should create it.`, "path");
  // A folder is uploaded with its contents at the top of the artifact, a file on its own, as GitHub's upload-artifact does.
  const [cwd, top] = info.isDirectory() ? [target, "."] : [path.dirname(target), path.basename(target)];
  const maxBytes = input.maxBytes ?? artifactMaxBytes();
  const limitMb = +(maxBytes / 1024 / 1024).toFixed(2);
  const packed = await packToBlob(input.dataDir, cwd, [top], {
    wording: { ...wording, where: "the uploaded folder" },
    maxBytes,
    tooLarge: () =>
      new InvalidInputError(`Artifact "${name}" is larger than the limit of ${limitMb} MiB (SLIPWAY_ARTIFACT_MAX_MB); upload fewer files, or raise the limit.`, "path"),
  });
  if (!packed) throw new InvalidInputError(`Artifact path "${input.path}" is an empty folder; there is nothing to upload.`, "path");
  try {
    await db.insert(artifacts).values({ runId: input.runId, jobId: input.jobId, name, digest: packed.digest, sizeBytes: packed.size, fileCount: packed.files });
  } catch (error) {
    // The blob stays: it may be shared, and identical content costs nothing twice.
    if (isUniqueViolation(error)) throw taken();
    throw error;
  }
  return { digest: packed.digest, size: packed.size, files: packed.files };
}

/** Unpacks a run's artifact into a folder inside the workspace (created when missing). */
export async function downloadArtifact(
  db: Database,
  input: { dataDir: string; runId: string; name: string; workspace: string; path?: string },
): Promise<{ digest: string; files: number; path: string }> {
  const row = await requireArtifact(db, input.runId, input.name);
  const dest = await resolveInside(input.workspace, input.path || ".", { what: "Download path" });
  await mkdir(dest, { recursive: true });
  const { files } = await extractBlob(input.dataDir, row.digest, dest, { label: `Artifact "${row.name}"` });
  return { digest: row.digest, files, path: dest };
}

export function listArtifacts(db: Database, runId: string) {
  return db.select().from(artifacts).where(eq(artifacts.runId, runId)).orderBy(asc(artifacts.name));
}

/** For the download route: the gzipped tar as stored, with what the response headers need. */
export async function openArtifactStream(db: Database, input: { dataDir: string; runId: string; name: string }) {
  const row = await requireArtifact(db, input.runId, input.name);
  return { stream: await openBlob(input.dataDir, row.digest), size: row.sizeBytes, digest: row.digest, filename: `${row.name}.tar.gz`, contentType: "application/gzip" };
}

function checkArtifactName(name: string): string {
  if (!ARTIFACT_NAME.test(name) || name === "." || name === "..") {
    throw new InvalidInputError(`Artifact name "${name}" is not valid: use 1 to 100 letters, digits, dots, dashes and underscores (not "." or "..").`, "name");
  }
  return name;
}

async function findArtifact(db: Database, runId: string, name: string) {
  const [row] = await db.select().from(artifacts).where(and(eq(artifacts.runId, runId), eq(artifacts.name, name)));
  return row;
}

async function requireArtifact(db: Database, runId: string, name: string) {
  const row = await findArtifact(db, runId, name);
  if (row) return row;
  const names = (await listArtifacts(db, runId)).map((a) => `"${a.name}"`);
  const known = names.length ? `it has ${names.join(", ")}` : "it has none";
  throw new NotFoundError(`This run has no artifact named "${name}"; ${known}.`, "name");
}

/* ---------- archives, shared with caches ---------- */

type Packed = BlobRef & { files: number };

/** tar stores a second name of a hard-linked file as a link; this makes it store the content again, so archives hold no links we would refuse. */
class NoHardLinks extends Map<`${number}:${number}`, string> {
  override get(): undefined {
    return undefined;
  }
  override set(): this {
    return this;
  }
}

/**
 * Packs `tops` (paths relative to `cwd`) into a gzipped tar in the blob store.
 * Symbolic links are stored as links, never followed, and only when they point
 * inside `cwd`; `maxBytes` bounds the uncompressed archive and stops packing
 * as soon as it is passed. Returns null when there is no file to pack.
 */
export async function packToBlob(
  dataDir: string,
  cwd: string,
  tops: string[],
  options: { wording: PathWording; maxBytes: number; tooLarge: () => Error },
): Promise<Packed | null> {
  const walked = { entries: [] as string[], files: 0, bytes: 0 };
  for (const top of tops) await walk(cwd, top, walked, options.wording);
  if (walked.files === 0) return null;
  if (walked.bytes > options.maxBytes) throw options.tooLarge();
  const pack = tar.create({ cwd, portable: true, noMtime: true, noDirRecurse: true, follow: false, linkCache: new NoHardLinks() }, walked.entries);
  let bytes = 0;
  async function* counted(source: AsyncIterable<Buffer>) {
    let finished = false;
    try {
      for await (const chunk of source) {
        bytes += chunk.length;
        // Files can grow while they are packed; the walk's total alone is not enough.
        if (bytes > options.maxBytes) throw options.tooLarge();
        yield chunk;
      }
      finished = true;
    } finally {
      // Stopped early (too large, or the store failed): close the files tar still has open.
      if (!finished) pack.destroy();
    }
  }
  const gzip = createGzip();
  const feeding = pipeline(Readable.from(counted(pack as unknown as AsyncIterable<Buffer>)), gzip);
  // Wait for both: the store removes its temporary file only after the producer has failed.
  const [stored, fed] = await Promise.allSettled([putBlob(dataDir, gzip), feeding]);
  if (stored.status === "fulfilled" && fed.status === "fulfilled") return { ...stored.value, files: walked.files };
  // The side that failed first has the real reason; the other only saw its stream cut short.
  const reasons = [fed, stored].flatMap((r) => (r.status === "rejected" ? [r.reason as NodeJS.ErrnoException] : []));
  throw reasons.find((e) => e?.code !== "ERR_STREAM_PREMATURE_CLOSE") ?? reasons[0];
}

async function walk(cwd: string, rel: string, out: { entries: string[]; files: number; bytes: number }, wording: PathWording): Promise<void> {
  const abs = path.join(cwd, rel);
  const info = await lstat(abs);
  if (info.isDirectory()) {
    if (rel !== ".") out.entries.push(rel);
    const names = (await readdir(abs)).sort();
    for (const child of names) await walk(cwd, rel === "." ? child : `${rel}/${child}`, out, wording);
  } else if (info.isSymbolicLink()) {
    const target = await readlink(abs);
    const lands = path.posix.join(path.posix.dirname(rel), target.replace(/\\/g, "/"));
    if (path.isAbsolute(target) || lands === ".." || lands.startsWith("../")) {
      throw new InvalidInputError(
        `${wording.what ?? "Artifact path"} contains the symbolic link "${rel}" to "${target}", which is outside ${wording.where ?? "the uploaded folder"}; copy what it points to instead, or make it a relative link that stays inside.`,
        "path",
      );
    }
    out.entries.push(rel);
    out.files++;
  } else if (info.isFile()) {
    out.entries.push(rel);
    out.files++;
    out.bytes += info.size;
  }
  // Sockets, pipes and devices are left out: they cannot be archived meaningfully.
}

/** A stored archive that fails its checksum or holds an entry that would land outside the destination. */
export class DamagedArchiveError extends InvalidInputError {}

const ALLOWED_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink"]);
const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile", "SymbolicLink"]);

/**
 * Unpacks a stored archive into `dest`. The blob is checked against its
 * digest and every entry is checked before anything is written, so a tampered
 * archive (an entry `../evil`, an absolute path, a link out) extracts nothing.
 */
export async function extractBlob(
  dataDir: string,
  digest: string,
  dest: string,
  { label, only }: { label: string; only?: (entryPath: string) => boolean },
): Promise<{ files: number }> {
  if (!(await verifyBlob(dataDir, digest))) {
    throw new DamagedArchiveError(`${label} is damaged: its stored archive no longer matches its checksum, so it was not extracted.`);
  }
  const file = blobPath(dataDir, digest);
  const problems: string[] = [];
  let files = 0;
  await tar.t({
    file,
    strict: true,
    onReadEntry: (entry) => {
      const problem = entryProblem(entry.path, entry.type, entry.linkpath);
      if (problem) problems.push(problem);
      else if (FILE_TYPES.has(entry.type) && (!only || only(normalEntry(entry.path)))) files++;
    },
  });
  if (problems.length) throw new DamagedArchiveError(`${label} was refused, nothing was extracted: ${problems.slice(0, 3).join("; ")}.`);
  await tar.x({
    file,
    cwd: dest,
    strict: true,
    preserveOwner: false,
    // Checked again here, in case the file changed between the two reads.
    filter: (entryPath, entry) => {
      const type = "type" in entry ? entry.type : "File";
      const linkpath = "linkpath" in entry ? entry.linkpath : undefined;
      return entryProblem(entryPath, type, linkpath) === null && (!only || only(normalEntry(entryPath)));
    },
  });
  return { files };
}

function normalEntry(entryPath: string): string {
  return path.posix.normalize(entryPath).replace(/\/+$/, "") || ".";
}

function entryProblem(entryPath: string, type: string, linkpath: string | undefined): string | null {
  if (!ALLOWED_TYPES.has(type)) return `entry "${entryPath}" is a ${type}, which Slipway archives never contain`;
  if (leaves(entryPath)) return `entry "${entryPath}" would be written outside the destination`;
  if (type === "SymbolicLink") {
    const target = linkpath ?? "";
    if (path.posix.isAbsolute(target) || leaves(path.posix.join(path.posix.dirname(entryPath), target))) {
      return `link "${entryPath}" points to "${target}", outside the destination`;
    }
  }
  return null;
}

function leaves(relative: string): boolean {
  try {
    checkRelativePath(relative);
    return false;
  } catch {
    return true;
  }
}
