import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decryptText, DecryptionError, encryptText, loadSecretsKey, secretsKeyFrom } from "./crypto";

const key = secretsKeyFrom(randomBytes(32));

describe("secret encryption", () => {
  it("round-trips text, multi-line and unicode included", () => {
    for (const text of ["hunter2", "line one\nline two\n", "pässwörd ☃", "x".repeat(64 * 1024)]) {
      expect(decryptText(key, encryptText(key, text))).toBe(text);
    }
  });

  it("stores base64 of a 12-byte iv, a 16-byte tag and the ciphertext, fresh each time", () => {
    const a = encryptText(key, "same value");
    const b = encryptText(key, "same value");
    expect(a).not.toBe(b);
    expect(Buffer.from(a, "base64").length).toBe(12 + 16 + "same value".length);
    expect(Buffer.from(a, "base64").toString("latin1")).not.toContain("same value");
  });

  it("refuses a tampered ciphertext with a clear error", () => {
    const raw = Buffer.from(encryptText(key, "do not touch"), "base64");
    raw[raw.length - 1] ^= 0x01;
    expect(() => decryptText(key, raw.toString("base64"))).toThrow(DecryptionError);
    expect(() => decryptText(key, raw.toString("base64"))).toThrow(/could not be decrypted: it was altered, or it was encrypted with a different SLIPWAY_SECRET_KEY/);
    expect(() => decryptText(key, "AAAA")).toThrow(/too short/);
  });

  it("refuses a ciphertext moved to another context, or read with another key", () => {
    const stored = encryptText(key, "prod password", "project:1:production:DB");
    expect(decryptText(key, stored, "project:1:production:DB")).toBe("prod password");
    expect(() => decryptText(key, stored, "project:1:development:DB")).toThrow(DecryptionError);
    expect(() => decryptText(secretsKeyFrom(randomBytes(32)), stored, "project:1:production:DB")).toThrow(DecryptionError);
  });

  it("derives a key for secrets that differs from the master key", () => {
    const master = randomBytes(32);
    expect(secretsKeyFrom(master).equals(master)).toBe(false);
    expect(secretsKeyFrom(master).length).toBe(32);
    expect(() => encryptText(randomBytes(16), "x")).toThrow("The encryption key must be 32 bytes; got 16.");
  });

  it("loads the installation's key from SLIPWAY_SECRET_KEY, and never creates one", async () => {
    const master = randomBytes(32);
    expect(loadSecretsKey({ SLIPWAY_SECRET_KEY: master.toString("hex") }).equals(secretsKeyFrom(master))).toBe(true);
    const empty = await mkdtemp(path.join(os.tmpdir(), "slipway-key-"));
    try {
      expect(() => loadSecretsKey({ SLIPWAY_DATA_DIR: empty })).toThrow(/No secret key: set SLIPWAY_SECRET_KEY/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
