import { execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { expect, type APIRequestContext, type Browser } from "@playwright/test";
import { demoFiles } from "../../server/services/demo-files";
import { adminSignsIn } from "./journey";
import { baseURL } from "./settings";

/**
 * Set-up for the approval journeys, each on a project of its own: a local git repository with
 * commits by named people, the project and its targets and rules through the tRPC API as the
 * site admin, SSO sign-ins, and a signed GitHub push delivery to the running server.
 */

// The examples are a JSON module, which Playwright's ESM loader only imports through require.
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as typeof import("@octokit/webhooks-examples").default;

/** Calls a tRPC procedure over HTTP as the context's signed-in person (superjson on the wire). */
export async function trpc<T = unknown>(request: APIRequestContext, procedure: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const response =
    kind === "query"
      ? await request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  const body = await response.json();
  if (!response.ok()) throw new TrpcError(procedure, response.status(), body?.error?.json?.message ?? JSON.stringify(body));
  return body.result.data.json as T;
}

export class TrpcError extends Error {
  constructor(
    readonly procedure: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A browser context signed in as the site admin, for set-up through the API. */
export async function adminApi(browser: Browser): Promise<{ request: APIRequestContext; close: () => Promise<void> }> {
  const context = await browser.newContext({ baseURL });
  await adminSignsIn(await context.newPage());
  return { request: context.request, close: () => context.close() };
}

export type Author = { name: string; email: string };

/** A git repository on this machine with the demo's small web app, first committed by `founder`. */
export type Repository = {
  dir: string;
  head: () => string;
  commit: (files: Record<string, string>, message: string, author: Author) => string;
  remove: () => void;
};

export function createRepository(pipeline: string, founder: Author): Repository {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-e2e-repo-"));
  const git = (args: string[], author?: Author) =>
    execFileSync("git", args, {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, ...(author && { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email }) },
    }).trim();
  const commit = (files: Record<string, string>, message: string, author: Author) => {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    }
    git(["add", "--all"]);
    git(["commit", "--quiet", "--message", message], author);
    return git(["rev-parse", "HEAD"]);
  };
  git(["init", "--quiet", "--initial-branch=main"]);
  commit({ ...demoFiles, ".slipway.yml": pipeline }, "Start the app and its pipeline", founder);
  return { dir, commit, head: () => git(["rev-parse", "HEAD"]), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

type Environment = { id: string; name: string };

/** Creates the project on the repository, each named environment's local target, the webhook secret; returns ids and the secret. */
export async function createProject(request: APIRequestContext, input: { name: string; repositoryUrl: string; targets: Record<string, { port: number; strategy: Record<string, unknown> }> }) {
  const slug = `${input.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${randomBytes(3).toString("hex")}`;
  const project = await trpc<{ id: string; slug: string }>(request, "projects.create", { name: input.name, slug, repositoryUrl: input.repositoryUrl, defaultBranch: "main" });
  const envs = await trpc<Environment[]>(request, "environments.list", { projectId: project.id }, "query");
  const environment = (name: string) => envs.find((e) => e.name === name)!;
  for (const [name, target] of Object.entries(input.targets)) {
    await trpc(request, "deployments.setTarget", {
      projectId: project.id,
      environmentId: environment(name).id,
      settings: {
        target: { kind: "local", command: ["node", "server.js"], portEnv: "PORT", listenPort: target.port },
        strategy: { ...target.strategy, healthCheck: { path: "/healthz", intervalSeconds: 1, timeoutSeconds: 2, failureThreshold: 3 } },
        whenBusy: "queue",
      },
    });
  }
  const { secret } = await trpc<{ secret: string }>(request, "webhooks.rotateSecret", { projectId: project.id });
  return { id: project.id, slug: project.slug, secret, environment };
}

/** GitHub's push delivery (a real example payload) of `before..after` on main, signed with the project's secret. */
export async function pushDelivery(request: APIRequestContext, project: { slug: string; secret: string }, push: { before: string; after: string; repositoryUrl: string; pusher: string }) {
  const definition = examples.find((d) => d.name === "push")!;
  const payload = structuredClone((definition.examples as unknown as Record<string, unknown>[]).find((e) => e.ref === "refs/heads/master")!) as Record<string, unknown>;
  Object.assign(payload, { ref: "refs/heads/main", before: push.before, after: push.after, created: false, deleted: false, sender: { ...(payload.sender as object), login: push.pusher } });
  Object.assign(payload.repository as object, { clone_url: push.repositoryUrl, default_branch: "main" });
  const body = JSON.stringify(payload);
  const response = await request.post(`/api/webhooks/github/${project.slug}`, {
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": `sha256=${createHmac("sha256", project.secret).update(body).digest("hex")}`,
    },
    data: body,
  });
  const answer = (await response.json()) as { outcome: string; message: string; runNumber?: number };
  expect(answer, answer.message).toMatchObject({ outcome: "accepted" });
  return answer.runNumber!;
}
