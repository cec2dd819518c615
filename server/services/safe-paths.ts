import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { InvalidInputError } from "./errors";

/**
 * Paths people write in pipelines (artifact and cache paths) resolved inside a
 * root folder, usually the job's workspace. Anything that would reach outside
 * it is refused with a sentence saying what to write instead.
 */

export class UnsafePathError extends InvalidInputError {}

/** How messages name the path and the root, e.g. `Artifact path` and `the workspace`. */
export type PathWording = { what?: string; where?: string };

const words = (w: PathWording) => ({ what: w.what ?? "Artifact path", where: w.where ?? "the workspace" });

/**
 * The checks that need no file system: no NUL byte, not absolute, no `..`
 * climbing above the root. Returns the normalised relative path with forward
 * slashes ("." for the root itself).
 */
export function checkRelativePath(userPath: string, wording: PathWording = {}): string {
  const { what, where } = words(wording);
  if (userPath.includes("\0")) throw new UnsafePathError(`${what} ${JSON.stringify(userPath.replace(/\0/g, "\\0"))} contains a NUL byte; remove it.`, "path");
  // Windows drive and UNC forms are absolute wherever the pipeline was written.
  if (path.posix.isAbsolute(userPath) || /^[A-Za-z]:[\\/]/.test(userPath) || userPath.startsWith("\\")) {
    throw new UnsafePathError(`${what} "${userPath}" is absolute; use a path relative to ${where}.`, "path");
  }
  const normal = path.posix.normalize(userPath.replace(/\\/g, "/") || ".").replace(/\/+$/, "") || ".";
  if (normal === ".." || normal.startsWith("../")) throw new UnsafePathError(`${what} "${userPath}" leaves ${where}; use a path inside it.`, "path");
  return normal;
}

/** True when `candidate` is `root` or below it (both absolute). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * The absolute path `userPath` names inside `root`, following symbolic links
 * that exist so far: a link anywhere on the way that points outside the root
 * is refused. The path itself need not exist yet (a download destination).
 */
export async function resolveInside(root: string, userPath: string, wording: PathWording = {}): Promise<string> {
  const { what, where } = words(wording);
  const relative = checkRelativePath(userPath, wording);
  const realRoot = await realpath(root);
  const parts = relative === "." ? [] : relative.split("/");
  // Walk down from the root while the path exists; what does not exist yet cannot be a link.
  let existing = realRoot;
  let depth = 0;
  while (depth < parts.length) {
    const next = path.join(existing, parts[depth]);
    const info = await lstat(next).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (!info) break;
    if (info.isSymbolicLink()) {
      const target = await realpath(next).catch(() => null);
      if (!target) throw new UnsafePathError(`${what} "${userPath}" goes through a symbolic link that points nowhere; use a real folder inside ${where}.`, "path");
      if (!isInside(realRoot, target)) {
        throw new UnsafePathError(`${what} "${userPath}" goes through a symbolic link to outside ${where}; use a path inside it.`, "path");
      }
      existing = target;
    } else {
      existing = next;
    }
    depth++;
  }
  return path.join(existing, ...parts.slice(depth));
}
