// Runs one of Slipway's processes from a bundle that esbuild makes of its
// TypeScript, rebuilt whenever a source file is newer. Plain JavaScript, so
// `npm start` needs no TypeScript loader, which would cost every process memory.
import { build, stop } from "esbuild";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "../..");
const outdir = path.join(root, ".slipway-build");
export const entries = {
  start: "server/cli/start.ts",
  web: "server/cli/web.ts",
  worker: "workers/worker.ts",
  router: "workers/router/main.ts",
  "audit-verify": "server/cli/audit-verify.ts",
};
const sourceDirs = ["server", "db", "workers"];

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

async function ensureBundles() {
  const stamp = path.join(outdir, "start.mjs");
  const upToDate =
    existsSync(stamp) && Object.keys(entries).every((n) => existsSync(path.join(outdir, `${n}.mjs`))) &&
    statSync(stamp).mtimeMs >= Math.max(...sourceDirs.map((d) => newestSource(path.join(root, d))));
  if (upToDate) return;
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, file])),
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    sourcemap: "linked",
    logLevel: "warning",
    // next's "server-only" guard has no meaning outside Next's bundler.
    alias: { "server-only": path.join(root, "node_modules/server-only/empty.js") },
  });
  // esbuild keeps a helper process running for more builds; there will be none.
  await stop();
}

const name = process.argv[2];
if (!entries[name]) {
  console.error(`usage: node server/cli/launch.mjs <${Object.keys(entries).join("|")}> [args]`);
  process.exit(2);
}
await ensureBundles();
process.argv.splice(2, 1);
await import(pathToFileURL(path.join(outdir, `${name}.mjs`)).href);
