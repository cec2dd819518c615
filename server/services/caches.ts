import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { and, asc, desc, eq, inArray, like, lt, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { artifacts, caches } from "@/db/schema";
import { DamagedArchiveError, extractBlob, packToBlob } from "./artifacts";
import { deleteBlob, megabytesSetting } from "./blob-store";
import { InvalidInputError, NotFoundError } from "./errors";
import { resolveInside } from "./safe-paths";

/**
 * Dependency caches per project, by key, as in GitHub's actions/cache: an
 * exact key is a hit; otherwise the newest cache whose key starts with one of
 * the restore keys (tried in order) is a partial hit. Caches are never
 * overwritten: a key that exists is not saved again, so a key should name its
 * contents (for example with hashFiles of the lock file).
 */

export const CACHE_UNUSED_DAYS = 7;

export function cacheBudgetBytes(env: Record<string, string | undefined> = process.env): number {
  return megabytesSetting(env, "SLIPWAY_CACHE_MAX_MB", 2048);
}

type Where = { dataDir: string; projectId: string; workspace: string; paths: readonly string[] };

export type RestoreResult = { outcome: "hit" | "partial" | "miss"; matchedKey?: string; files?: number; warning?: string };

export async function restoreCache(db: Database, input: Where & { key: string; restoreKeys?: readonly string[] }): Promise<RestoreResult> {
  const key = checkKey(input.key);
  const restoreKeys = (input.restoreKeys ?? []).map(checkKey);
  const relPaths = await checkedPaths(input.workspace, input.paths);
  let row = await findCache(db, input.projectId, key);
  let outcome: "hit" | "partial" = "hit";
  for (const prefix of restoreKeys) {
    if (row) break;
    outcome = "partial";
    row = await newestWithPrefix(db, input.projectId, prefix);
  }
  if (!row) return { outcome: "miss" };
  // Only what was asked for is restored, even if the cache holds more.
  const only = (entry: string) => relPaths.some((p) => p === "." || entry === p || entry.startsWith(`${p}/`));
  try {
    const { files } = await extractBlob(input.dataDir, row.digest, await realpath(input.workspace), { label: `Cache "${row.key}"`, only });
    await db.update(caches).set({ lastUsedAt: new Date() }).where(eq(caches.id, row.id));
    return { outcome, matchedKey: row.key, files };
  } catch (error) {
    // A cache is an optimisation: a lost or damaged one is dropped and the job carries on as on a miss.
    if (!(error instanceof NotFoundError || error instanceof DamagedArchiveError)) throw error;
    await db.delete(caches).where(eq(caches.id, row.id));
    return { outcome: "miss", warning: `The cache "${row.key}" was dropped: ${error.message}` };
  }
}

export type SaveResult = { outcome: "saved"; digest: string; size: number; files: number } | { outcome: "exists" } | { outcome: "skipped"; reason: string };

/** One cache may use the whole project budget, no more; saving prunes the project back under it. */
export async function saveCache(db: Database, input: Where & { key: string; budgetBytes?: number }): Promise<SaveResult> {
  const key = checkKey(input.key);
  const relPaths = await checkedPaths(input.workspace, input.paths);
  if (await findCache(db, input.projectId, key)) return { outcome: "exists" };
  const root = await realpath(input.workspace);
  const present: string[] = [];
  for (const rel of relPaths) if (await lstat(path.join(root, rel)).catch(() => null)) present.push(rel);
  // "node_modules" already holds "node_modules/.cache": packing both would store it twice.
  const tops = present.filter((rel) => !present.some((other) => other !== rel && (other === "." || rel.startsWith(`${other}/`))));
  if (present.length === 0) return { outcome: "skipped", reason: `None of the cache paths exist (${input.paths.join(", ")}); nothing was saved.` };
  const maxBytes = input.budgetBytes ?? cacheBudgetBytes();
  const limitMb = +(maxBytes / 1024 / 1024).toFixed(2);
  const packed = await packToBlob(input.dataDir, root, tops, {
    wording: { what: "Cache path", where: "the workspace" },
    maxBytes,
    tooLarge: () =>
      new InvalidInputError(`Cache "${key}" is larger than the limit of ${limitMb} MiB (SLIPWAY_CACHE_MAX_MB); cache less, or raise the limit.`, "paths"),
  });
  if (!packed) return { outcome: "skipped", reason: `The cache paths hold no files (${input.paths.join(", ")}); nothing was saved.` };
  const [row] = await db
    .insert(caches)
    .values({ projectId: input.projectId, key, digest: packed.digest, sizeBytes: packed.size })
    .onConflictDoNothing()
    .returning({ id: caches.id });
  // Another job saved the same key meanwhile: theirs stands.
  if (!row) return { outcome: "exists" };
  await pruneCaches(db, { dataDir: input.dataDir, projectId: input.projectId, budgetBytes: maxBytes });
  return { outcome: "saved", digest: packed.digest, size: packed.size, files: packed.files };
}

export type PruneResult = { removed: { projectId: string; key: string; reason: "unused" | "over-budget" }[]; freedBytes: number };

/**
 * Drops caches nobody restored for `unusedDays`, then, per project, the least
 * recently used ones until the project fits its budget. Blobs no cache or
 * artifact refers to any more are deleted from disk.
 */
export async function pruneCaches(
  db: Database,
  { dataDir, projectId, now = new Date(), unusedDays = CACHE_UNUSED_DAYS, budgetBytes = cacheBudgetBytes() }:
    { dataDir: string; projectId?: string; now?: Date; unusedDays?: number; budgetBytes?: number },
): Promise<PruneResult> {
  const scope = projectId ? eq(caches.projectId, projectId) : undefined;
  const cutoff = new Date(now.getTime() - unusedDays * 86_400_000);
  const removed: PruneResult["removed"] = [];
  const gone: { digest: string; size: number }[] = [];
  const stale = await db.delete(caches).where(and(scope, lt(caches.lastUsedAt, cutoff))).returning();
  for (const c of stale) {
    removed.push({ projectId: c.projectId, key: c.key, reason: "unused" });
    gone.push({ digest: c.digest, size: c.sizeBytes });
  }
  const rest = await db.select().from(caches).where(scope).orderBy(asc(caches.projectId), desc(caches.lastUsedAt), desc(caches.createdAt));
  const used = new Map<string, number>();
  const over: string[] = [];
  for (const c of rest) {
    const total = (used.get(c.projectId) ?? 0) + c.sizeBytes;
    used.set(c.projectId, total);
    if (total > budgetBytes) over.push(c.id);
  }
  if (over.length) {
    const deleted = new Map((await db.delete(caches).where(inArray(caches.id, over)).returning()).map((c) => [c.id, c]));
    // Reported in eviction order: most recently used of the evicted first.
    for (const c of over.map((id) => deleted.get(id)).filter((c) => c !== undefined)) {
      removed.push({ projectId: c.projectId, key: c.key, reason: "over-budget" });
      gone.push({ digest: c.digest, size: c.sizeBytes });
    }
  }
  await deleteUnreferencedBlobs(db, dataDir, [...new Set(gone.map((g) => g.digest))]);
  return { removed, freedBytes: gone.reduce((sum, g) => sum + g.size, 0) };
}

/**
 * A save of the same content racing with this can find its blob gone; the
 * next restore then sees a missing blob and treats it as a miss, never as
 * wrong contents (blobs are checked against their digest).
 */
async function deleteUnreferencedBlobs(db: Database, dataDir: string, digests: string[]) {
  if (digests.length === 0) return;
  const inCaches = await db.selectDistinct({ digest: caches.digest }).from(caches).where(inArray(caches.digest, digests));
  const inArtifacts = await db.selectDistinct({ digest: artifacts.digest }).from(artifacts).where(inArray(artifacts.digest, digests));
  const kept = new Set([...inCaches, ...inArtifacts].map((r) => r.digest));
  for (const digest of digests) if (!kept.has(digest)) await deleteBlob(dataDir, digest);
}

async function findCache(db: Database, projectId: string, key: string) {
  const [row] = await db.select().from(caches).where(and(eq(caches.projectId, projectId), eq(caches.key, key)));
  return row;
}

async function newestWithPrefix(db: Database, projectId: string, prefix: string) {
  const pattern = `${prefix.replace(/[\\%_]/g, "\\$&")}%`;
  const [row] = await db
    .select()
    .from(caches)
    .where(and(eq(caches.projectId, projectId), like(caches.key, pattern)))
    .orderBy(desc(caches.createdAt), sql`${caches.key} desc`)
    .limit(1);
  return row;
}

/** GitHub's rules: at most 512 characters and no commas (restore-keys lists are comma-separated there). */
function checkKey(key: string): string {
  const trimmed = key.trim();
  if (!trimmed) throw new InvalidInputError("Enter a cache key.", "key");
  if (trimmed.length > 512) throw new InvalidInputError(`Cache key "${trimmed.slice(0, 40)}…" is longer than 512 characters; shorten it.`, "key");
  if (/[,\0\n\r]/.test(trimmed)) throw new InvalidInputError(`Cache key "${trimmed}" may not contain commas or line breaks.`, "key");
  return trimmed;
}

/** Each path validated and expressed relative to the real workspace, with forward slashes. */
async function checkedPaths(workspace: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) throw new InvalidInputError("Name at least one path to cache.", "paths");
  const root = await realpath(workspace);
  const out: string[] = [];
  for (const p of paths) {
    const resolved = await resolveInside(root, p, { what: "Cache path", where: "the workspace" });
    out.push(path.relative(root, resolved).split(path.sep).join("/") || ".");
  }
  return [...new Set(out)];
}
