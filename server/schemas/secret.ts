import { z } from "zod";
import { projectIdInput } from "./project";

/** Names Slipway and GitHub-compatible steps set themselves; a secret must not shadow them. */
export const RESERVED_SECRET_PREFIXES = ["SLIPWAY_", "GITHUB_"] as const;
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;

/** Typed in any case and stored upper-case, as environment variable names conventionally are. */
export const secretNameSchema = z
  .string()
  .trim()
  .min(1, "Enter a secret name.")
  .max(100, "Secret names are at most 100 characters.")
  .transform((name) => name.toUpperCase())
  .pipe(
    z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, "Secret names use letters, digits and underscores, and do not start with a digit.")
      .refine(
        (name) => !RESERVED_SECRET_PREFIXES.some((prefix) => name.startsWith(prefix)),
        "Secret names may not start with SLIPWAY_ or GITHUB_: those are set by Slipway itself.",
      ),
  );

/** Not trimmed: whitespace and the final newline of a key file can matter. TextEncoder works in the browser too. */
export const secretValueSchema = z
  .string()
  .min(1, "Enter the secret's value.")
  .refine((value) => new TextEncoder().encode(value).length <= MAX_SECRET_VALUE_BYTES, "A secret's value is at most 64 KiB.");

/** null or absent: the secret applies to every environment of the project. */
const environmentScope = z.uuid("Unknown environment.").nullable().optional();

export const setSecretInput = projectIdInput.extend({ environmentId: environmentScope, name: secretNameSchema, value: secretValueSchema });
export type SetSecretInput = z.infer<typeof setSecretInput>;

export const deleteSecretInput = projectIdInput.extend({ environmentId: environmentScope, name: secretNameSchema });
export type DeleteSecretInput = z.infer<typeof deleteSecretInput>;
