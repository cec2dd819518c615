import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { systemSettings, users } from "@/db/schema";
import { systemActor } from "./actor";
import { demoFiles } from "./demo-files";
import { git } from "./git-cli";
import { createProject, findProjectBySlug } from "./projects";

const DEMO_FLAG = "demo_project_created";

/**
 * On the first start, creates a real git repository with a small web app and
 * a pipeline, and a "demo" project that builds it. Runs once: a demo that
 * people later archive or rename stays as they left it.
 */
export async function ensureDemoProject(db: Database, dataDir: string): Promise<{ created: boolean; slug: string }> {
  const [flag] = await db.select().from(systemSettings).where(eq(systemSettings.key, DEMO_FLAG));
  if (flag) return { created: false, slug: String((flag.value as { slug?: string }).slug ?? "demo") };
  const [admin] = await db.select().from(users).where(eq(users.isAdmin, true)).limit(1);
  if (!admin) throw new Error("Create the first admin before the demo project.");

  const repoDir = path.join(dataDir, "repos", "demo");
  if (!existsSync(path.join(repoDir, ".git"))) await createDemoRepository(repoDir);
  const slug = (await findProjectBySlug(db, "demo")) ? `demo-${Date.now().toString(36)}` : "demo";
  await createProject(
    db,
    { ...systemActor, userId: admin.id, label: `${admin.email} (first start)` },
    {
      name: "Demo app",
      slug,
      repositoryUrl: repoDir,
      defaultBranch: "main",
      description: "A small web app with a pipeline, created on the first start so there is something to run and deploy.",
    },
  );
  await db.insert(systemSettings).values({ key: DEMO_FLAG, value: { slug } }).onConflictDoNothing();
  return { created: true, slug };
}

async function createDemoRepository(repoDir: string) {
  await mkdir(repoDir, { recursive: true });
  for (const [file, content] of Object.entries(demoFiles)) {
    await mkdir(path.dirname(path.join(repoDir, file)), { recursive: true });
    await writeFile(path.join(repoDir, file), content, { mode: file.endsWith(".sh") ? 0o755 : 0o644 });
  }
  const author = { GIT_AUTHOR_NAME: "Slipway", GIT_AUTHOR_EMAIL: "demo@slipway.local", GIT_COMMITTER_NAME: "Slipway", GIT_COMMITTER_EMAIL: "demo@slipway.local" };
  await git(repoDir, ["init", "--quiet", "--initial-branch=main"]);
  await git(repoDir, ["add", "--all"]);
  await git(repoDir, ["commit", "--quiet", "--message", "Demo app and its pipeline"], author);
}
