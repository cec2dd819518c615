import { describe, expect, it } from "vitest";
import { readSettings, SettingsError } from "./settings";

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

describe("readSettings with empty variables", () => {
  it("treats an empty variable as unset", () => {
    expect(readSettings({ DATABASE_URL: "", PORT: " " }).DATABASE_URL).toBeUndefined();
    expect(readSettings({ PORT: "" }).PORT).toBe(3000);
  });
});
