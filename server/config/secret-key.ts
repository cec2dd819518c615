import { hkdfSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The 32-byte master key: SLIPWAY_SECRET_KEY when set, else a key file in the
 * data folder, created with mode 0600 on first start. It encrypts secrets and
 * signs sessions, so every process of one installation must share it.
 */
export function loadSecretKey(env: { SLIPWAY_SECRET_KEY?: string }, dataDir: string, { create }: { create: boolean }): Buffer {
  if (env.SLIPWAY_SECRET_KEY) return decodeKey(env.SLIPWAY_SECRET_KEY);
  const file = path.join(dataDir, "secret.key");
  if (existsSync(file)) return decodeKey(readFileSync(file, "utf8").trim());
  if (!create) {
    throw new Error(`No secret key: set SLIPWAY_SECRET_KEY to the value in ${file} of the main installation.`);
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  return key;
}

function decodeKey(text: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
}

/** A separate key per purpose, so a leak of one (say the session secret) exposes nothing else. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), `slipway:${purpose}`, 32));
}
