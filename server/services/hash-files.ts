import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { checkRelativePath } from "./safe-paths";

/**
 * `${{ hashFiles('package-lock.json', '**\/*.lock', '!vendor/**') }}`: one
 * sha256 (hex) over the sha256 of each matching file, in sorted path order, as
 * GitHub Actions computes it; "" when nothing matches. Only file contents
 * count, so the same files checked out anywhere hash the same.
 *
 * Symbolic links are not followed (a link could make the key depend on files
 * outside the workspace), and `.git` is never searched: its contents change
 * with every commit and would make every key unique.
 */
export async function hashFiles(workspace: string, patterns: string | readonly string[]): Promise<string> {
  const list = (typeof patterns === "string" ? [patterns] : [...patterns]).map((p) => p.trim()).filter(Boolean);
  const include: string[] = [];
  const exclude: string[] = [];
  for (const pattern of list) {
    const negated = pattern.startsWith("!");
    const glob = negated ? pattern.slice(1) : pattern;
    checkRelativePath(glob, { what: "hashFiles pattern", where: "the workspace" });
    (negated ? exclude : include).push(glob.replace(/^\.\//, ""));
  }
  if (include.length === 0) return "";
  const matches = picomatch(include, { dot: true });
  const excluded = exclude.length ? picomatch(exclude, { dot: true }) : () => false;
  const root = await realpath(workspace);

  // Walk only below the fixed part of each pattern ("src" of "src/**/*.ts"), not the whole workspace.
  const bases = [...new Set(include.map((p) => picomatch.scan(p).base || "."))].sort();
  const files = new Set<string>();
  for (const base of bases) {
    if (bases.some((other) => other !== base && other !== "." && base.startsWith(`${other}/`)) || (base !== "." && bases.includes("."))) continue;
    await collect(root, base === "." ? "" : base, (rel) => {
      if (matches(rel) && !excluded(rel)) files.add(rel);
    });
  }
  if (files.size === 0) return "";
  const total = createHash("sha256");
  for (const rel of [...files].sort()) total.update(await fileDigest(path.join(root, rel)));
  return total.digest("hex");
}

async function collect(root: string, rel: string, visit: (rel: string) => void): Promise<void> {
  const info = await lstat(path.join(root, rel)).catch(() => null);
  if (!info || info.isSymbolicLink()) return;
  if (info.isFile()) return visit(rel);
  if (!info.isDirectory()) return;
  for (const name of (await readdir(path.join(root, rel))).sort()) {
    if (name === ".git") continue;
    await collect(root, rel ? `${rel}/${name}` : name, visit);
  }
}

async function fileDigest(file: string): Promise<Buffer> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest();
}
