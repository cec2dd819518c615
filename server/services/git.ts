import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * Git operations for triggers and checkouts. Every call passes an argument
 * array (never a shell string), never prompts, and never puts a credential in
 * a URL, an argument or a repository's config: tokens travel in GIT_CONFIG_*
 * environment variables and ssh keys in a 0600 file removed afterwards.
 */
export type GitCredentials = { kind: "https-token"; token: string } | { kind: "ssh-key"; privateKey: string } | { kind: "none" };

export class GitError extends Error {
  override name = "GitError";
}

const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export function isZeroSha(sha: string | null | undefined): boolean {
  return !sha || /^0+$/.test(sha);
}

export const shortSha = (sha: string) => sha.slice(0, 7);

/** A URL starting with "-" would be read by git as an option. */
export function assertSafeRepositoryUrl(url: string): string {
  if (!url || url.startsWith("-") || CONTROL.test(url)) {
    throw new GitError(`Refusing the repository URL ${JSON.stringify(url)}: it is empty, starts with "-" or contains control characters.`);
  }
  return url;
}

/** Branch, tag, full ref name or commit id; what git itself refuses, plus anything that could read as an option or a range. */
export function assertSafeRef(ref: string): string {
  if (!ref || ref.startsWith("-") || ref.includes("..") || ref.includes("@{") || /[\s~^:?*[\\]/.test(ref) || CONTROL.test(ref)) {
    throw new GitError(`Refusing the git ref ${JSON.stringify(ref)}: it is not a valid branch, tag or commit name.`);
  }
  return ref;
}

function assertFullSha(sha: string): string {
  if (!FULL_SHA.test(sha)) throw new GitError(`"${sha}" is not a full commit id (40 hexadecimal characters).`);
  return sha;
}

/** Local paths become file:// URLs, so shallow fetches work (git ignores --depth for plain local paths). */
function transportUrl(url: string): string {
  assertSafeRepositoryUrl(url);
  return url.startsWith("/") ? `file://${url}` : url;
}

type Result = { code: number; stdout: string; stderr: string };
type RunOptions = { cwd?: string; env?: Record<string, string>; timeoutMs?: number };

function exec(args: string[], { cwd, env = {}, timeoutMs = 300_000 }: RunOptions = {}): Promise<Result> {
  // Variables inherited from an enclosing git process (a hook, say) would point git at the wrong repository.
  const { GIT_DIR: _d, GIT_WORK_TREE: _w, GIT_INDEX_FILE: _i, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd, env: { ...inherited, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", ...env }, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          const why = error.killed ? `timed out after ${Math.round(timeoutMs / 1000)} s` : error.message;
          reject(new GitError(`git ${args[0]} failed: ${why}`));
        } else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

async function runGit(args: string[], options?: RunOptions): Promise<string> {
  const result = await exec(args, options);
  if (result.code !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-3).join(" ").slice(0, 600);
    throw new GitError(`git ${args[0]} failed: ${detail || `exit code ${result.code}`}`);
  }
  return result.stdout;
}

/** Environment variables that authenticate git for the duration of `fn`, and nothing after it. */
async function withCredentials<T>(credentials: GitCredentials | null | undefined, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  if (!credentials || credentials.kind === "none") return fn({});
  if (credentials.kind === "https-token") {
    const basic = Buffer.from(`x-access-token:${credentials.token}`).toString("base64");
    return fn({ GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-ssh-"));
  try {
    const keyFile = path.join(dir, "key");
    const key = credentials.privateKey.endsWith("\n") ? credentials.privateKey : `${credentials.privateKey}\n`;
    await writeFile(keyFile, key, { mode: 0o600 });
    // GIT_SSH_COMMAND is run by a shell: quote the path. BatchMode makes a passphrase-protected key fail instead of hanging.
    const quoted = `'${keyFile.replace(/'/g, `'\\''`)}'`;
    return await fn({ GIT_SSH_COMMAND: `ssh -i ${quoted} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o BatchMode=yes` });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const exists = (file: string) => stat(file).then(() => true, () => false);

/** Fetches into one mirror run one at a time in this process; git's own ref locks guard against other processes. */
const mirrorLocks = new Map<string, Promise<unknown>>();
function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = mirrorLocks.get(key) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const settled = next.catch(() => undefined);
  mirrorLocks.set(key, settled);
  void settled.then(() => mirrorLocks.get(key) === settled && mirrorLocks.delete(key));
  return next;
}

export type MirrorOptions = {
  dataDir: string;
  projectId: string;
  repositoryUrl: string;
  credentials?: GitCredentials | null;
  /** Commits that must be present afterwards even when no branch or tag points at them (a pull request from a fork). */
  commits?: string[];
};

/** Keeps `<dataDir>/mirrors/<projectId>.git` (a bare copy of every branch and tag) and brings it up to date. Returns its path. */
export async function ensureMirror({ dataDir, projectId, repositoryUrl, credentials, commits = [] }: MirrorOptions): Promise<string> {
  if (!/^[A-Za-z0-9_-]+$/.test(projectId)) throw new GitError(`"${projectId}" is not a project id.`);
  const url = transportUrl(repositoryUrl);
  const mirror = path.join(dataDir, "mirrors", `${projectId}.git`);
  return serialized(mirror, async () => {
    if (!(await exists(path.join(mirror, "HEAD")))) {
      await mkdir(mirror, { recursive: true });
      await runGit(["init", "--quiet", "--bare", mirror]);
    }
    const current = await exec(["config", "--get", "remote.origin.url"], { cwd: mirror });
    if (current.code !== 0) await runGit(["remote", "add", "origin", url], { cwd: mirror });
    else if (current.stdout.trim() !== url) await runGit(["remote", "set-url", "origin", url], { cwd: mirror });
    await withCredentials(credentials, async (env) => {
      await runGit(["fetch", "--quiet", "--prune", "--no-tags", "origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], {
        cwd: mirror,
        env,
      });
      const missing: string[] = [];
      for (const sha of commits) if (!(await resolveRef(mirror, assertFullSha(sha)))) missing.push(sha);
      if (missing.length) await runGit(["fetch", "--quiet", "--no-tags", "origin", ...missing], { cwd: mirror, env });
    });
    return mirror;
  });
}

/** The commit a branch, tag, ref or commit id points at (tags are peeled), or null when there is none. */
export async function resolveRef(repo: string, ref: string): Promise<string | null> {
  const result = await exec(["rev-parse", "--verify", "--quiet", `${assertSafeRef(ref)}^{commit}`], { cwd: repo });
  return result.code === 0 ? result.stdout.trim() : null;
}

async function requireCommit(repo: string, rev: string): Promise<string> {
  const sha = await resolveRef(repo, rev);
  if (!sha) throw new GitError(`Commit ${shortSha(rev)} is not in the repository.`);
  return sha;
}

/** A file's content at a commit, or null when the commit has no such file. */
export async function readFileAtCommit(repo: string, sha: string, file: string): Promise<string | null> {
  if (!file || file.startsWith("/") || CONTROL.test(file)) throw new GitError(`"${file}" is not a path inside the repository.`);
  const commit = await requireCommit(repo, sha);
  const type = await exec(["cat-file", "-t", `${commit}:${file}`], { cwd: repo });
  if (type.code !== 0 || type.stdout.trim() !== "blob") return null;
  return runGit(["cat-file", "blob", `${commit}:${file}`], { cwd: repo });
}

const splitNul = (out: string) => out.split("\0").filter(Boolean);

/** Paths changed from `before` to `after` (both sides of a rename); every file of `after` when `before` is absent or zeros. */
export async function changedFiles(repo: string, before: string | null | undefined, after: string): Promise<string[]> {
  const to = await requireCommit(repo, after);
  if (isZeroSha(before)) return splitNul(await runGit(["ls-tree", "-r", "-z", "--name-only", to], { cwd: repo }));
  const from = await requireCommit(repo, before!);
  return splitNul(await runGit(["diff", "--name-only", "-z", "--no-renames", from, to, "--"], { cwd: repo }));
}

/** Where two histories meet: what a pull request's changes are measured from. */
export async function mergeBase(repo: string, a: string, b: string): Promise<string | null> {
  const result = await exec(["merge-base", await requireCommit(repo, a), await requireCommit(repo, b)], { cwd: repo });
  return result.code === 0 ? result.stdout.trim() : null;
}

export type CommitInfo = { sha: string; message: string; author: { name: string; email: string }; committedAt: string };

export async function commitInfo(repo: string, sha: string): Promise<CommitInfo> {
  const commit = await requireCommit(repo, sha);
  const out = await runGit(["log", "-1", "--format=%H%x00%an%x00%ae%x00%cI%x00%B", commit, "--"], { cwd: repo });
  const [full, name, email, committedAt, ...message] = out.split("\0");
  return { sha: full, author: { name, email }, committedAt, message: message.join("\0").trim() };
}

/**
 * Lower-cased emails of everyone who wrote a commit in from..to, co-authors
 * (Co-authored-by trailers) included: what separation-of-duties checks compare
 * with an approver. Without `from`, the history of `to` (its latest 1000 commits).
 */
export async function commitAuthorsBetween(repo: string, from: string | null | undefined, to: string): Promise<string[]> {
  const head = await requireCommit(repo, to);
  const range = isZeroSha(from) ? [head, "--max-count=1000"] : [`${await requireCommit(repo, from!)}..${head}`];
  const out = await runGit(["log", "--format=%ae%x00%(trailers:key=Co-authored-by,valueonly,separator=%x00)%x1e", ...range, "--"], { cwd: repo });
  const emails = new Set<string>();
  for (const value of out.replaceAll("\x1e", "\0").split("\0")) {
    const email = (/<([^>]+)>/.exec(value)?.[1] ?? value).trim().toLowerCase();
    if (email.includes("@")) emails.add(email);
  }
  return [...emails].sort();
}

export type CommitSummary = { sha: string; subject: string; author: string; email: string };

/** The commits in from..to, newest first, at most `max` (without `from`, the latest of `to`'s history): what approvers read. */
export async function commitsBetween(repo: string, from: string | null | undefined, to: string, max = 50): Promise<CommitSummary[]> {
  const head = await requireCommit(repo, to);
  const range = isZeroSha(from) ? [head] : [`${await requireCommit(repo, from!)}..${head}`];
  const out = await runGit(["log", `--max-count=${max}`, "--format=%H%x00%an%x00%ae%x00%s%x1e", ...range, "--"], { cwd: repo });
  return out
    .split("\x1e")
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [sha, author, email, subject] = record.split("\0");
      return { sha, author, email: email.toLowerCase(), subject };
    });
}

/** Every branch of a remote repository and its head commit, without cloning it. */
export async function listRemoteHeads(repositoryUrl: string, credentials?: GitCredentials | null): Promise<Record<string, string>> {
  const url = transportUrl(repositoryUrl);
  const out = await withCredentials(credentials, (env) => runGit(["ls-remote", "--heads", "--", url], { env, timeoutMs: 60_000 }));
  const heads: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const [sha, ref] = line.split("\t");
    if (sha && ref?.startsWith("refs/heads/")) heads[ref.slice("refs/heads/".length)] = sha;
  }
  return heads;
}

export type CheckoutOptions = {
  repositoryUrl: string;
  sha: string;
  dest: string;
  /** Commits of history to fetch; 0 fetches all of it. */
  depth?: number;
  credentials?: GitCredentials | null;
};

/**
 * Checks out exactly `sha` (not whatever a branch points at by now) into an
 * empty folder, as a detached HEAD. The credentials are not left in the
 * folder's .git/config, so the job's own steps cannot read them.
 */
export async function checkoutCommit({ repositoryUrl, sha, dest, depth = 1, credentials }: CheckoutOptions): Promise<{ sha: string }> {
  assertFullSha(sha);
  if (!Number.isInteger(depth) || depth < 0) throw new GitError(`Checkout depth must be a whole number of commits, got ${depth}.`);
  const url = transportUrl(repositoryUrl);
  await mkdir(dest, { recursive: true });
  if ((await readdir(dest)).length > 0) throw new GitError(`Cannot check out into ${dest}: the folder is not empty.`);
  await runGit(["init", "--quiet", dest]);
  await runGit(["remote", "add", "origin", url], { cwd: dest });
  const shallow = depth > 0 ? [`--depth=${depth}`] : [];
  await withCredentials(credentials, (env) => runGit(["fetch", "--quiet", "--no-tags", ...shallow, "origin", sha], { cwd: dest, env }));
  await runGit(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", "FETCH_HEAD"], { cwd: dest });
  const head = (await runGit(["rev-parse", "HEAD"], { cwd: dest })).trim();
  if (head !== sha) throw new GitError(`Checked out ${shortSha(head)} instead of ${shortSha(sha)}.`);
  return { sha: head };
}
