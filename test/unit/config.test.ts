import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readConfig } from "~/lib/env.server";

const parse = (overrides: Record<string, unknown>) => readConfig({ ...env, ...overrides } as Env);

describe("readConfig", () => {
  it("parses the test environment, normalising APP_URL to an origin and splitting secrets", () => {
    const result = parse({ APP_URL: "https://auth.example.com/some/path", SESSION_SECRET: `${"a".repeat(32)}, ${"b".repeat(32)}` });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.appUrl).toBe("https://auth.example.com");
    expect(result.config.sessionSecrets).toEqual(["a".repeat(32), "b".repeat(32)]);
    expect(result.config.secureCookies).toBe(true);
    expect(result.config.sessionLifetimeMs).toBe(30 * 86_400_000);
  });

  it.each([
    [{ APP_URL: "not a url" }, /APP_URL must be an http\(s\) URL/],
    [{ APP_URL: "ftp://example.com" }, /APP_URL must be an http\(s\) URL/],
    [{ SESSION_SECRET: "short" }, /at least 32 characters/],
    [{ EMAIL_PROVIDER: "smtp" }, /EMAIL_PROVIDER must be "resend" or "outbox"/],
    [{ EMAIL_PROVIDER: "resend", RESEND_API_KEY: undefined }, /RESEND_API_KEY is not set/],
    [{ SESSION_IDLE_DAYS: "0" }, /./],
  ])("reports %j clearly", (overrides, message) => {
    const result = parse(overrides);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join("\n")).toMatch(message);
  });

  it("turns Google sign-in on with both Google settings, and asks for the secret when only the id is set", () => {
    const on = parse({ GOOGLE_CLIENT_ID: "1234.apps.googleusercontent.com", GOOGLE_CLIENT_SECRET: "s3cret" });
    expect(on.ok && on.config.google).toMatchObject({
      clientId: "1234.apps.googleusercontent.com",
      authorizationEndpoint: "https://accounts.google.com/o/oauth2/v2/auth",
      tokenEndpoint: "https://oauth2.googleapis.com/token",
      jwksUri: "https://www.googleapis.com/oauth2/v3/certs",
      issuers: ["https://accounts.google.com", "accounts.google.com"],
      redirectUri: "https://latchkey.test/auth/google/callback",
      standIn: false,
    });
    const missing = parse({ GOOGLE_CLIENT_ID: "1234.apps.googleusercontent.com" });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.problems.join("\n")).toMatch(/GOOGLE_CLIENT_SECRET is not set/);
  });

  it("uses the Google stand-in only for a loopback APP_URL without Google credentials", () => {
    const deployed = parse({});
    expect(deployed.ok && deployed.config.google).toBeNull();
    const local = parse({ APP_URL: "http://localhost:8795" });
    expect(local.ok && local.config.google).toMatchObject({
      standIn: true,
      issuers: ["http://localhost:8795/dev/google"],
      jwksUri: "http://localhost:8795/dev/google/oauth2/v3/certs",
      oneTapScriptUrl: "http://localhost:8795/dev/google/gsi/client",
    });
  });
});
