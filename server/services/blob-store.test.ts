import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blobPath, deleteBlob, hasBlob, megabytesSetting, openBlob, putBlob, putBlobFromFile, verifyBlob } from "./blob-store";
import { NotFoundError } from "./errors";

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-blobs-"));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

describe("the blob store", () => {
  it("stores content under its sha256 and reads it back", async () => {
    const ref = await putBlob(dataDir, Readable.from([Buffer.from("hello "), Buffer.from("world")]));
    expect(ref).toEqual({ digest: sha("hello world"), size: 11 });
    const hex = ref.digest.slice(7);
    expect(blobPath(dataDir, ref.digest)).toBe(path.join(dataDir, "blobs", "sha256", hex.slice(0, 2), hex));
    let read = "";
    for await (const chunk of await openBlob(dataDir, ref.digest)) read += chunk;
    expect(read).toBe("hello world");
    expect(await verifyBlob(dataDir, ref.digest)).toBe(true);
  });

  it("stores identical content once and leaves no temporary files", async () => {
    const file = path.join(dataDir, "input.txt");
    await writeFile(file, "same bytes");
    const a = await putBlobFromFile(dataDir, file);
    const b = await putBlob(dataDir, Readable.from([Buffer.from("same bytes")]));
    expect(a).toEqual(b);
    const hex = a.digest.slice(7);
    expect(await readdir(path.join(dataDir, "blobs", "sha256", hex.slice(0, 2)))).toEqual([hex]);
    expect(await readdir(path.join(dataDir, "blobs", "tmp"))).toEqual([]);
  });

  it("stops writing past the size limit and cleans up", async () => {
    const big = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    await expect(putBlob(dataDir, big, { maxBytes: 1000, onTooLarge: (max) => new Error(`over ${max}`) })).rejects.toThrow("over 1000");
    expect(await readdir(path.join(dataDir, "blobs", "tmp"))).toEqual([]);
  });

  it("notices content altered on disk, and reports a missing blob as not found", async () => {
    const ref = await putBlob(dataDir, Readable.from([Buffer.from("original")]));
    await writeFile(blobPath(dataDir, ref.digest), "tampered");
    expect(await verifyBlob(dataDir, ref.digest)).toBe(false);
    await deleteBlob(dataDir, ref.digest);
    expect(await hasBlob(dataDir, ref.digest)).toBe(false);
    await expect(openBlob(dataDir, ref.digest)).rejects.toThrow(NotFoundError);
  });

  it("refuses a digest that is not one, so a database value cannot pick a path", () => {
    expect(() => blobPath(dataDir, "sha256:../../etc/passwd")).toThrow(/Not a sha256 digest/);
  });

  it("reads sizes in MiB from settings", () => {
    expect(megabytesSetting({}, "SLIPWAY_ARTIFACT_MAX_MB", 1024)).toBe(1024 * 1024 * 1024);
    expect(megabytesSetting({ SLIPWAY_ARTIFACT_MAX_MB: "0.5" }, "SLIPWAY_ARTIFACT_MAX_MB", 1024)).toBe(512 * 1024);
    expect(() => megabytesSetting({ SLIPWAY_ARTIFACT_MAX_MB: "lots" }, "SLIPWAY_ARTIFACT_MAX_MB", 1024)).toThrow(
      'Setting SLIPWAY_ARTIFACT_MAX_MB expects a positive number of MiB (got "lots").',
    );
  });
});
