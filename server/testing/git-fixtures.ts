/**
 * Real git repositories in temporary folders for tests: commit files, make
 * branches and tags, and read back commit ids. Each test repository lives
 * until `cleanup()` (or `cleanupAll()`).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { git } from "@/server/services/git-cli";

export type Author = { name: string; email: string };

export const DEFAULT_AUTHOR: Author = { name: "Ada Tester", email: "ada@example.test" };

const authorEnv = (a: Author) => ({
  GIT_AUTHOR_NAME: a.name,
  GIT_AUTHOR_EMAIL: a.email,
  GIT_COMMITTER_NAME: a.name,
  GIT_COMMITTER_EMAIL: a.email,
});

export type TestRepo = {
  /** Absolute path of the working repository, usable as a project's repository URL. */
  dir: string;
  /** Writes (or, with null, deletes) files and commits them on the current branch; returns the commit id. */
  commit: (files: Record<string, string | null>, message?: string, author?: Author) => Promise<string>;
  /** Creates a branch at `from` (default HEAD) and switches to it. */
  branch: (name: string, from?: string) => Promise<void>;
  checkout: (name: string) => Promise<void>;
  /** A lightweight tag, or an annotated one when `message` is given; returns the tagged commit. */
  tag: (name: string, options?: { at?: string; message?: string }) => Promise<string>;
  head: (ref?: string) => Promise<string>;
  deleteBranch: (name: string) => Promise<void>;
  git: (args: string[]) => Promise<string>;
  cleanup: () => Promise<void>;
};

const created = new Set<string>();

export async function createTestRepo({ defaultBranch = "main" }: { defaultBranch?: string } = {}): Promise<TestRepo> {
  const root = await mkdtemp(path.join(os.tmpdir(), "slipway-repo-"));
  created.add(root);
  const dir = path.join(root, "repo");
  await mkdir(dir);
  await git(dir, ["init", "--quiet", `--initial-branch=${defaultBranch}`]);
  const run = (args: string[], env: Record<string, string> = authorEnv(DEFAULT_AUTHOR)) => git(dir, args, env);
  const head = async (ref = "HEAD") => (await run(["rev-parse", `${ref}^{commit}`])).trim();
  return {
    dir,
    git: run,
    head,
    async commit(files, message = "Change files", author = DEFAULT_AUTHOR) {
      for (const [file, content] of Object.entries(files)) {
        const target = path.join(dir, file);
        if (content === null) await rm(target, { force: true });
        else {
          await mkdir(path.dirname(target), { recursive: true });
          await writeFile(target, content);
        }
      }
      await run(["add", "--all"]);
      await run(["commit", "--quiet", "--allow-empty", "--message", message], authorEnv(author));
      return head();
    },
    async branch(name, from = "HEAD") {
      await run(["checkout", "--quiet", "-b", name, from]);
    },
    async checkout(name) {
      await run(["checkout", "--quiet", name]);
    },
    async tag(name, { at = "HEAD", message } = {}) {
      await run(message ? ["tag", "--annotate", "--message", message, name, at] : ["tag", name, at]);
      return head(name);
    },
    async deleteBranch(name) {
      await run(["branch", "--quiet", "-D", name]);
    },
    async cleanup() {
      created.delete(root);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Removes every repository this process created, for an afterAll. */
export async function cleanupAllTestRepos(): Promise<void> {
  await Promise.all([...created].map((root) => rm(root, { recursive: true, force: true })));
  created.clear();
}

/** A temporary data folder (for mirrors and checkouts), removed by cleanupAllTestRepos. */
export async function createTempDir(prefix = "slipway-data-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.add(dir);
  return dir;
}
