import { describe, expect, it } from "vitest";
import { readSettings, SettingsError, smtpSettings } from "./settings";

describe("readSettings", () => {
  it("fills in defaults on an empty environment", () => {
    const s = readSettings({});
    expect(s.PORT).toBe(3000);
    expect(s.url).toBe("http://localhost:3000");
    expect(s.SLIPWAY_ADMIN_EMAIL).toBe("admin@slipway.local");
    expect(s.SLIPWAY_ADMIN_EMAILS).toEqual([]);
  });

  it.each([
    [{ PORT: "http" }, /^Setting PORT expects a port number \(got "http"\)\.$/],
    [{ PORT: "70000" }, /^Setting PORT expects a port between 1 and 65535/],
    [{ SLIPWAY_URL: "localhost:3000" }, /^Setting SLIPWAY_URL expects an absolute http\(s\) URL/],
    [{ DATABASE_URL: "mysql://x" }, /^Setting DATABASE_URL expects a postgres:\/\/ connection URL/],
    [{ SLIPWAY_ADMIN_EMAILS: "a@b.c, nope" }, /^Setting SLIPWAY_ADMIN_EMAILS expects a comma-separated list of email addresses/],
    [{ SLIPWAY_OIDC_ISSUER: "https://id.example.com" }, /^Setting SLIPWAY_OIDC_CLIENT_ID expects a value, because SLIPWAY_OIDC_ISSUER is set \(it is not set\)\.$/],
    [{ SLIPWAY_SECRET_KEY: "short" }, /^Setting SLIPWAY_SECRET_KEY expects 32 random bytes/],
    [{ SLIPWAY_ADMIN_PASSWORD: "123" }, /^Setting SLIPWAY_ADMIN_PASSWORD expects a password of at least 8 characters/],
    [{ SLIPWAY_SMTP_URL: "mail.example.com:25" }, /^Setting SLIPWAY_SMTP_URL expects an smtp:\/\/ or smtps:\/\/ URL/],
    [{ SLIPWAY_SMTP_URL: "smtp://mail.example.com" }, /^Setting SLIPWAY_SMTP_FROM expects a sender address, because SLIPWAY_SMTP_URL is set \(it is not set\)\.$/],
    [{ SLIPWAY_SMTP_URL: "smtp://mail.example.com", SLIPWAY_SMTP_FROM: "Slipway" }, /^Setting SLIPWAY_SMTP_FROM expects a sender address such as/],
  ])("names the variable and what it expects for %j", (env, message) => {
    expect(() => readSettings(env)).toThrowError(SettingsError);
    expect(() => readSettings(env)).toThrowError(message);
  });

  it("reads the admin list case-insensitively", () => {
    expect(readSettings({ SLIPWAY_ADMIN_EMAILS: "Ana@Example.com, bo@example.com" }).SLIPWAY_ADMIN_EMAILS).toEqual([
      "ana@example.com",
      "bo@example.com",
    ]);
  });
});

describe("smtpSettings", () => {
  it("is off until an SMTP server is set, then gives the server and the sender", () => {
    expect(smtpSettings({})).toBeNull();
    expect(smtpSettings({ SLIPWAY_SMTP_URL: "smtps://slipway:pw@mail.example.com:465", SLIPWAY_SMTP_FROM: "Slipway <slipway@example.com>" })).toEqual({
      url: "smtps://slipway:pw@mail.example.com:465",
      from: "Slipway <slipway@example.com>",
    });
  });
});

describe("readSettings with empty variables", () => {
  it("treats an empty variable as unset", () => {
    expect(readSettings({ DATABASE_URL: "", PORT: " " }).DATABASE_URL).toBeUndefined();
    expect(readSettings({ PORT: "" }).PORT).toBe(3000);
  });
});
