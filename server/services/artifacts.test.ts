import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { artifacts, jobs, runs, type User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { createProjectAs, createUser, rejectionOf } from "@/server/testing/fixtures";
import { DamagedArchiveError, downloadArtifact, listArtifacts, openArtifactStream, uploadArtifact } from "./artifacts";
import { blobPath, putBlob } from "./blob-store";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { UnsafePathError } from "./safe-paths";

let t: TestDatabase;
let owner: User;
let tmp: string;
let dataDir: string;
let workspace: string;
let runNumber = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  tmp = await mkdtemp(path.join(os.tmpdir(), "slipway-artifacts-"));
  dataDir = path.join(tmp, "data");
});

afterAll(async () => {
  await t.close();
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmp, "ws-"));
});

async function newRun() {
  const project = await createProjectAs(t.db, owner);
  const sha = "b".repeat(40);
  const [run] = await t.db
    .insert(runs)
    .values({ projectId: project.id, number: ++runNumber, trigger: "manual", event: { sha }, commitSha: sha, pipelineYaml: "jobs: {}", plan: {} })
    .returning();
  const [job] = await t.db.insert(jobs).values({ runId: run.id, key: "build", jobId: "build", name: "build" }).returning();
  return { runId: run.id, jobId: job.id };
}

async function write(rel: string, content: string) {
  await mkdir(path.dirname(path.join(workspace, rel)), { recursive: true });
  await writeFile(path.join(workspace, rel), content);
}

/** A tar archive written by hand, as an attacker would, with whatever entry paths they like. */
function rawTar(entries: { path: string; body?: string; type?: "File" | "SymbolicLink" | "Link"; linkpath?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? "");
    const header = Buffer.alloc(512);
    new Header({ path: e.path, mode: 0o644, size: body.length, type: e.type ?? "File", linkpath: e.linkpath, mtime: new Date(0) }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}

async function storeTampered(runId: string, name: string, archive: Buffer) {
  const ref = await putBlob(dataDir, Readable.from([archive]));
  await t.db.insert(artifacts).values({ runId, name, digest: ref.digest, sizeBytes: ref.size, fileCount: 1 });
}

describe("uploading and downloading artifacts", () => {
  it("round-trips a folder with nested files, an empty folder, modes and an inner link", async () => {
    const { runId, jobId } = await newRun();
    await write("dist/index.html", "<h1>hi</h1>");
    await write("dist/assets/js/app.js", "console.log(1)");
    await write("dist/bin/run.sh", "#!/bin/sh\necho run");
    await chmod(path.join(workspace, "dist/bin/run.sh"), 0o755);
    await mkdir(path.join(workspace, "dist/empty"));
    await symlink("assets/js/app.js", path.join(workspace, "dist/latest.js"));
    const uploaded = await uploadArtifact(t.db, { dataDir, runId, jobId, name: "site", workspace, path: "dist", maxBytes: 10_000_000 });
    expect(uploaded).toMatchObject({ digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), files: 4 });
    expect(uploaded.size).toBeGreaterThan(0);

    const other = await mkdtemp(path.join(tmp, "ws-"));
    const got = await downloadArtifact(t.db, { dataDir, runId, name: "site", workspace: other, path: "out/site" });
    const out = path.join(other, "out/site");
    expect(got).toMatchObject({ digest: uploaded.digest, files: 4 });
    expect(await readFile(path.join(out, "index.html"), "utf8")).toBe("<h1>hi</h1>");
    expect(await readFile(path.join(out, "assets/js/app.js"), "utf8")).toBe("console.log(1)");
    expect((await stat(path.join(out, "bin/run.sh"))).mode & 0o777).toBe(0o755);
    expect(await readdir(path.join(out, "empty"))).toEqual([]);
    expect(await readlink(path.join(out, "latest.js"))).toBe("assets/js/app.js");

    const [row] = await listArtifacts(t.db, runId);
    expect(row).toMatchObject({ name: "site", jobId, digest: uploaded.digest, sizeBytes: uploaded.size, fileCount: 4 });
    const download = await openArtifactStream(t.db, { dataDir, runId, name: "site" });
    expect(download).toMatchObject({ filename: "site.tar.gz", contentType: "application/gzip", size: uploaded.size });
    download.stream.destroy();
  });

  it("uploads a single file on its own", async () => {
    const { runId, jobId } = await newRun();
    await write("reports/junit.xml", "<testsuite/>");
    expect(await uploadArtifact(t.db, { dataDir, runId, jobId, name: "junit", workspace, path: "reports/junit.xml" })).toMatchObject({ files: 1 });
    await downloadArtifact(t.db, { dataDir, runId, name: "junit", workspace, path: "restored" });
    expect(await readFile(path.join(workspace, "restored/junit.xml"), "utf8")).toBe("<testsuite/>");
  });

  it("stores the same content once", async () => {
    await write("dist/a.txt", "identical");
    const first = await newRun();
    const second = await newRun();
    const a = await uploadArtifact(t.db, { dataDir, ...first, name: "build", workspace, path: "dist" });
    const b = await uploadArtifact(t.db, { dataDir, ...second, name: "output", workspace, path: "dist" });
    expect(b.digest).toBe(a.digest);
    const hex = a.digest.slice(7);
    expect((await readdir(path.dirname(blobPath(dataDir, a.digest)))).filter((f) => f === hex)).toHaveLength(1);
  });

  it("refuses a second artifact of the same name in a run, and bad names", async () => {
    const { runId, jobId } = await newRun();
    await write("a.txt", "a");
    await uploadArtifact(t.db, { dataDir, runId, jobId, name: "logs", workspace, path: "a.txt" });
    const again = await rejectionOf(uploadArtifact(t.db, { dataDir, runId, jobId, name: "logs", workspace, path: "a.txt" }));
    expect(again).toBeInstanceOf(ConflictError);
    expect(again).toMatchObject({ message: 'This run already has an artifact named "logs"; artifacts are not replaced. Upload under another name.' });
    for (const name of ["..", ".", "my artifact", "a/b", "x".repeat(101), ""]) {
      await expect(uploadArtifact(t.db, { dataDir, runId, jobId, name, workspace, path: "a.txt" })).rejects.toThrow(/is not valid: use 1 to 100 letters/);
    }
  });

  it("enforces the size limit while packing, naming the limit", async () => {
    const { runId, jobId } = await newRun();
    await write("big/blob.bin", "x".repeat(3 * 1024 * 1024));
    const error = await rejectionOf(uploadArtifact(t.db, { dataDir, runId, jobId, name: "big", workspace, path: "big", maxBytes: 1024 * 1024 }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe('Artifact "big" is larger than the limit of 1 MiB (SLIPWAY_ARTIFACT_MAX_MB); upload fewer files, or raise the limit.');
    expect(await listArtifacts(t.db, runId)).toEqual([]);
  });

  it("stops a pack that outgrows the limit mid-way, leaving nothing behind", async () => {
    const { runId, jobId } = await newRun();
    // 2,000 files of 100 bytes: 200 KB of content, but about 2 MB of archive (a 512-byte header and a padded block each).
    for (let i = 0; i < 2000; i++) await write(`many/f${i}.txt`, "y".repeat(100));
    await expect(uploadArtifact(t.db, { dataDir, runId, jobId, name: "many", workspace, path: "many", maxBytes: 1024 * 1024 })).rejects.toThrow(
      /larger than the limit of 1 MiB/,
    );
    expect(await readdir(path.join(dataDir, "blobs", "tmp"))).toEqual([]);
    expect(await listArtifacts(t.db, runId)).toEqual([]);
  });

  it("says what is missing", async () => {
    const { runId, jobId } = await newRun();
    await expect(uploadArtifact(t.db, { dataDir, runId, jobId, name: "x", workspace, path: "nope" })).rejects.toThrow(
      'Artifact path "nope" does not exist in the workspace; check the path, or the step that should create it.',
    );
    await mkdir(path.join(workspace, "empty"));
    await expect(uploadArtifact(t.db, { dataDir, runId, jobId, name: "x", workspace, path: "empty" })).rejects.toThrow(/is an empty folder/);
    const missing = await rejectionOf(downloadArtifact(t.db, { dataDir, runId, name: "nothing", workspace }));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toBe('This run has no artifact named "nothing"; it has none.');
  });
});

describe("paths that leave the workspace", () => {
  it.each(["../etc", "/etc", "dist/../../etc"])("refuses uploading %j", async (given) => {
    const { runId, jobId } = await newRun();
    await expect(uploadArtifact(t.db, { dataDir, runId, jobId, name: "x", workspace, path: given })).rejects.toThrow(UnsafePathError);
  });

  it("refuses a symbolic link to outside, as the path or inside the folder", async () => {
    const { runId, jobId } = await newRun();
    await symlink("/etc", path.join(workspace, "etc-link"));
    await expect(uploadArtifact(t.db, { dataDir, runId, jobId, name: "x", workspace, path: "etc-link" })).rejects.toThrow(
      'Artifact path "etc-link" goes through a symbolic link to outside the workspace; use a path inside it.',
    );
    await write("dist/ok.txt", "ok");
    await symlink("../../secret.txt", path.join(workspace, "dist/leak"));
    await expect(uploadArtifact(t.db, { dataDir, runId, jobId, name: "x", workspace, path: "dist" })).rejects.toThrow(
      'Artifact path contains the symbolic link "leak" to "../../secret.txt", which is outside the uploaded folder; copy what it points to instead, or make it a relative link that stays inside.',
    );
  });

  it("refuses a download destination outside the workspace", async () => {
    const { runId, jobId } = await newRun();
    await write("a.txt", "a");
    await uploadArtifact(t.db, { dataDir, runId, jobId, name: "a", workspace, path: "a.txt" });
    await expect(downloadArtifact(t.db, { dataDir, runId, name: "a", workspace, path: "../elsewhere" })).rejects.toThrow(
      'Download path "../elsewhere" leaves the workspace; use a path inside it.',
    );
  });
});

describe("tampered archives", () => {
  it.each([
    ["an entry climbing out", [{ path: "ok.txt", body: "fine" }, { path: "../evil", body: "pwned" }], 'entry "../evil" would be written outside the destination'],
    ["an absolute entry", [{ path: "/tmp/evil", body: "pwned" }], 'entry "/tmp/evil" would be written outside the destination'],
    ["a link out", [{ path: "link", type: "SymbolicLink" as const, linkpath: "../../etc" }], 'link "link" points to "../../etc", outside the destination'],
    ["a hard link", [{ path: "hard", type: "Link" as const, linkpath: "/etc/passwd" }], 'entry "hard" is a Link, which Slipway archives never contain'],
  ])("extracts nothing from an archive with %s", async (_, entries, problem) => {
    const { runId } = await newRun();
    await storeTampered(runId, "evil", rawTar(entries));
    const dest = path.join(workspace, "deep", "dest");
    const error = await rejectionOf(downloadArtifact(t.db, { dataDir, runId, name: "evil", workspace, path: "deep/dest" }));
    expect(error).toBeInstanceOf(DamagedArchiveError);
    expect((error as Error).message).toBe(`Artifact "evil" was refused, nothing was extracted: ${problem}.`);
    expect(await readdir(dest)).toEqual([]);
    await expect(stat(path.join(workspace, "deep", "evil"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses an archive altered on disk after it was stored", async () => {
    const { runId, jobId } = await newRun();
    await write("a.txt", "a");
    const { digest } = await uploadArtifact(t.db, { dataDir, runId, jobId, name: "a", workspace, path: "a.txt" });
    await writeFile(blobPath(dataDir, digest), rawTar([{ path: "a.txt", body: "swapped" }]));
    await expect(downloadArtifact(t.db, { dataDir, runId, name: "a", workspace, path: "out" })).rejects.toThrow(
      'Artifact "a" is damaged: its stored archive no longer matches its checksum, so it was not extracted.',
    );
  });
});
