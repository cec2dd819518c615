import { findExpressions, interpolate, parseExpression, walkExpression, type ExpressionContext, type UsesStep } from "@/server/pipeline";
import { downloadArtifact, uploadArtifact } from "@/server/services/artifacts";
import { restoreCache, saveCache } from "@/server/services/caches";
import { checkoutCommit, type GitCredentials } from "@/server/services/git";
import { hashFiles } from "@/server/services/hash-files";
import type { BuiltinContext, Builtins, PostStep } from "./builtins-api";

/** The built-in steps (`uses:`), working on the job's workspace on the worker's disk. */
export const builtins: Builtins = {
  async run(step: UsesStep, ctx: BuiltinContext): Promise<PostStep | void> {
    switch (step.uses) {
      case "checkout": {
        const dest = step.with.path ? `${ctx.workspace}/${step.with.path}` : ctx.workspace;
        const { sha } = await checkoutCommit({
          repositoryUrl: ctx.repositoryUrl,
          sha: ctx.run.commitSha,
          dest,
          depth: step.with.fetchDepth ?? 1,
          credentials: checkoutCredentials(ctx),
        });
        ctx.log(`Checked out ${sha.slice(0, 12)}${ctx.run.branch ? ` (${ctx.run.branch})` : ""}`);
        return;
      }
      case "cache": {
        const expressions = await withHashFiles(ctx, [step.with.key, ...step.with.restoreKeys]);
        const key = interpolate(step.with.key, expressions);
        const restoreKeys = step.with.restoreKeys.map((k) => interpolate(k, expressions));
        const where = { dataDir: ctx.dataDir, projectId: ctx.run.projectId, workspace: ctx.workspace, paths: step.with.paths };
        const restored = await restoreCache(ctx.db, { ...where, key, restoreKeys });
        if (restored.warning) ctx.log(restored.warning);
        ctx.log(
          restored.outcome === "hit"
            ? `Cache hit: ${key} (${restored.files} files restored)`
            : restored.outcome === "partial"
              ? `Cache partial hit: restored ${restored.matchedKey} for ${key}`
              : `Cache miss: ${key}`,
        );
        if (restored.outcome === "hit") return;
        return {
          name: `Save cache ${key}`,
          run: async () => {
            const saved = await saveCache(ctx.db, { ...where, key });
            ctx.log(saved.outcome === "saved" ? `Cache saved: ${key} (${saved.files} files, ${saved.size} bytes)` : saved.outcome === "exists" ? `Cache ${key} already saved by another job` : `Cache not saved: ${saved.reason}`);
          },
        };
      }
      case "upload-artifact": {
        for (const path of step.with.paths) {
          const result = await uploadArtifact(ctx.db, { dataDir: ctx.dataDir, runId: ctx.run.id, jobId: ctx.job.id, name: step.with.name, workspace: ctx.workspace, path });
          ctx.log(`Uploaded artifact "${step.with.name}" from ${path}: ${result.files} files, ${result.size} bytes, sha256:${result.digest.slice(0, 12)}`);
        }
        return;
      }
      case "download-artifact": {
        const result = await downloadArtifact(ctx.db, { dataDir: ctx.dataDir, runId: ctx.run.id, name: step.with.name, workspace: ctx.workspace, path: step.with.path });
        ctx.log(`Downloaded artifact "${step.with.name}": ${result.files} files`);
        return;
      }
    }
  },
};

/** A secret that looks like a private key is an ssh deploy key; anything else an https token. */
function checkoutCredentials(ctx: BuiltinContext): GitCredentials | null {
  const value = ctx.checkoutSecret ? ctx.secrets[ctx.checkoutSecret] : undefined;
  if (!value) return null;
  return value.includes("PRIVATE KEY-----") ? { kind: "ssh-key", privateKey: value } : { kind: "https-token", token: value };
}

/**
 * hashFiles reads the workspace, which expressions cannot do while they are
 * evaluated: compute each call found in the templates first, then answer
 * from those results.
 */
async function withHashFiles(ctx: BuiltinContext, templates: string[]): Promise<ExpressionContext> {
  const results = new Map<string, string>();
  for (const template of templates) {
    for (const found of findExpressions(template)) {
      const calls: string[][] = [];
      walkExpression(parseExpression(found.inner), (node) => {
        if (node.type === "call" && node.name === "hashFiles") {
          calls.push(node.args.map((arg) => (arg.type === "literal" ? String(arg.value) : "")));
        }
      });
      for (const patterns of calls) results.set(patterns.join("\n"), await hashFiles(ctx.workspace, patterns));
    }
  }
  return { ...ctx.expressions, functions: { hashFiles: (...patterns: string[]) => results.get(patterns.join("\n")) ?? "" } };
}
