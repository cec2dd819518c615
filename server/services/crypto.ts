import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { deriveKey, loadSecretKey } from "@/server/config/secret-key";
import { readSettings } from "@/server/config/settings";

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A stored value that does not decrypt: altered in the database, or saved under another master key. */
export class DecryptionError extends Error {
  constructor(message = "The stored value could not be decrypted: it was altered, or it was encrypted with a different SLIPWAY_SECRET_KEY.") {
    super(message);
    this.name = "DecryptionError";
  }
}

/** The key that encrypts secrets, derived from the master key so it is useless for anything else. */
export function secretsKeyFrom(master: Buffer): Buffer {
  return deriveKey(master, "secrets");
}

/**
 * The secrets key of this installation. Read on every call (it is cheap) and
 * never created here: only `npm start` creates the master key, so a worker on
 * another machine without it fails loudly instead of encrypting with its own.
 */
export function loadSecretsKey(env: Record<string, string | undefined> = process.env): Buffer {
  const settings = readSettings(env);
  return secretsKeyFrom(loadSecretKey(settings, settings.dataDir, { create: false }));
}

/**
 * AES-256-GCM; returns base64(iv | tag | ciphertext). `context` is bound as
 * additional authenticated data, so a ciphertext copied onto another row (say
 * a production secret pasted into a development one) fails to decrypt there.
 */
export function encryptText(key: Buffer, plaintext: string, context = ""): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

export function decryptText(key: Buffer, stored: string, context = ""): string {
  assertKey(key);
  const raw = Buffer.from(stored, "base64");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new DecryptionError("The stored value is too short to be an encrypted secret: it was altered.");
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    // GCM reports only "unable to authenticate data"; say what that means for a person.
    throw new DecryptionError();
  }
}

function assertKey(key: Buffer) {
  if (key.length !== KEY_BYTES) throw new Error(`The encryption key must be ${KEY_BYTES} bytes; got ${key.length}.`);
}
