import path from "node:path";
import { z } from "zod";

/**
 * Every setting Slipway reads from the environment, with its default. A bad
 * value stops the start with one line naming the variable and what it expects.
 */
const port = (fallback: number) =>
  z.coerce
    .number({ error: "a port number" })
    .int("a whole port number")
    .min(1, "a port between 1 and 65535")
    .max(65535, "a port between 1 and 65535")
    .default(fallback);

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const emailList = z
  .string()
  .default("")
  .transform((v) => v.split(",").map((e) => e.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.email({ error: "a comma-separated list of email addresses" })));

export const settingsSchema = z
  .object({
    PORT: port(3000),
    SLIPWAY_URL: z.url({ protocol: /^https?$/, error: "an absolute http(s) URL such as https://slipway.example.com" }).optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "a postgres:// connection URL")
      .optional(),
    SLIPWAY_DATA_DIR: z.string().min(1, "a folder path").default(".slipway"),
    SLIPWAY_DB_PORT: port(54329),
    SLIPWAY_ROUTER_PORT: port(3100),
    SLIPWAY_ADMIN_EMAIL: z.email({ error: "an email address" }).default("admin@slipway.local"),
    SLIPWAY_ADMIN_PASSWORD: z.string().min(8, "a password of at least 8 characters").optional(),
    SLIPWAY_ADMIN_EMAILS: emailList,
    SLIPWAY_OIDC_ISSUER: z.url({ protocol: /^https?$/, error: "the http(s) issuer URL of your OpenID provider" }).optional(),
    SLIPWAY_OIDC_CLIENT_ID: optionalText,
    SLIPWAY_OIDC_CLIENT_SECRET: optionalText,
    SLIPWAY_OIDC_NAME: z.string().trim().min(1).max(40, "a button label of at most 40 characters").default("SSO"),
    SLIPWAY_GITHUB_CLIENT_ID: optionalText,
    SLIPWAY_GITHUB_CLIENT_SECRET: optionalText,
    SLIPWAY_SECRET_KEY: z
      .string()
      .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/, "32 random bytes as 64 hex characters or base64 (openssl rand -hex 32)")
      .optional(),
    SLIPWAY_SESSION_HOURS: z.coerce.number({ error: "a number of hours" }).positive("a positive number of hours").max(720, "at most 720 hours").default(12),
    SLIPWAY_SMTP_URL: z.url({ protocol: /^smtps?$/, error: "an smtp:// or smtps:// URL such as smtps://user:password@mail.example.com:465" }).optional(),
    SLIPWAY_SMTP_FROM: z
      .string()
      .trim()
      .regex(/^([^<>]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/, "a sender address such as slipway@example.com or \"Slipway <slipway@example.com>\"")
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.SLIPWAY_OIDC_ISSUER && (!s.SLIPWAY_OIDC_CLIENT_ID || !s.SLIPWAY_OIDC_CLIENT_SECRET)) {
      const missing = !s.SLIPWAY_OIDC_CLIENT_ID ? "SLIPWAY_OIDC_CLIENT_ID" : "SLIPWAY_OIDC_CLIENT_SECRET";
      ctx.addIssue({ code: "custom", path: [missing], message: "a value, because SLIPWAY_OIDC_ISSUER is set" });
    }
    if (Boolean(s.SLIPWAY_GITHUB_CLIENT_ID) !== Boolean(s.SLIPWAY_GITHUB_CLIENT_SECRET)) {
      const missing = s.SLIPWAY_GITHUB_CLIENT_ID ? "SLIPWAY_GITHUB_CLIENT_SECRET" : "SLIPWAY_GITHUB_CLIENT_ID";
      ctx.addIssue({ code: "custom", path: [missing], message: "a value, because its GitHub partner setting is set" });
    }
    if (s.SLIPWAY_SMTP_URL && !s.SLIPWAY_SMTP_FROM) ctx.addIssue({ code: "custom", path: ["SLIPWAY_SMTP_FROM"], message: "a sender address, because SLIPWAY_SMTP_URL is set" });
  });

export type RawSettings = z.infer<typeof settingsSchema>;
export type Settings = RawSettings & { url: string; dataDir: string };

export class SettingsError extends Error {}

/** Parses the environment; throws a SettingsError whose message is one line per bad variable. */
export function readSettings(env: Record<string, string | undefined> = process.env): Settings {
  // An empty variable means "not set", as in most shells' and compose files' usage.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const result = settingsSchema.safeParse(given);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const given = env[name];
      const shown = given === undefined ? "it is not set" : `got ${JSON.stringify(given.length > 60 ? given.slice(0, 60) + "…" : given)}`;
      const msg = issue.message.startsWith("Invalid") ? "a valid value" : issue.message;
      return `Setting ${name} expects ${msg} (${shown}).`;
    });
    throw new SettingsError(lines.join("\n"));
  }
  const s = result.data;
  return {
    ...s,
    url: (s.SLIPWAY_URL ?? `http://localhost:${s.PORT}`).replace(/\/$/, ""),
    dataDir: path.resolve(s.SLIPWAY_DATA_DIR),
  };
}

export type SmtpSettings = { url: string; from: string };

/** Where email goes out, or null when SLIPWAY_SMTP_URL is not set (Slipway then sends none). */
export function smtpSettings(env: Record<string, string | undefined> = process.env): SmtpSettings | null {
  const s = readSettings(env);
  return s.SLIPWAY_SMTP_URL && s.SLIPWAY_SMTP_FROM ? { url: s.SLIPWAY_SMTP_URL, from: s.SLIPWAY_SMTP_FROM } : null;
}
