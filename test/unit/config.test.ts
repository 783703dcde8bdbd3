import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readConfig } from "~/lib/env.server";

const parse = (overrides: Record<string, unknown>) => readConfig({ ...env, ...overrides } as Env);

describe("readConfig", () => {
  it("parses the test environment, normalising APP_URL to an origin and splitting secrets", () => {
    const result = parse({
      APP_URL: "https://auth.example.com/some/path",
      EMAIL_PROVIDER: "resend",
      RESEND_API_KEY: "re_test",
      SESSION_SECRET: `${"a".repeat(32)}, ${"b".repeat(32)}`,
    });
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
    [{ EMAIL_PROVIDER: "smtp" }, /EMAIL_PROVIDER must be "resend", "postmark", "cloudflare" or "outbox"/],
    [{ EMAIL_PROVIDER: "resend", RESEND_API_KEY: undefined }, /RESEND_API_KEY is not set/],
    [{ EMAIL_PROVIDER: "postmark", POSTMARK_SERVER_TOKEN: undefined }, /POSTMARK_SERVER_TOKEN is not set but EMAIL_PROVIDER is postmark/],
    [{ EMAIL_PROVIDER: "postmark", POSTMARK_SERVER_TOKEN: "  " }, /POSTMARK_SERVER_TOKEN is not set/],
    [{ EMAIL_PROVIDER: "cloudflare", EMAIL: undefined }, /no EMAIL binding: add \[\[send_email\]\] with name = "EMAIL" to wrangler\.toml/],
    [{ SESSION_IDLE_DAYS: "0" }, /SESSION_IDLE_DAYS must be a whole number of days from 1 to 400/],
    [{ CODE_MAX_ATTEMPTS: "2.5" }, /CODE_MAX_ATTEMPTS must be a whole number of attempts from 1 to 10/],
    [{ LIMIT_IP_SENDS: "20 per hour" }, /LIMIT_IP_SENDS must look like "COUNT\/SECONDS", e\.g\. "20\/3600"/],
    [{ LIMIT_EMAIL_SEND_INTERVAL_SECONDS: "soon" }, /LIMIT_EMAIL_SEND_INTERVAL_SECONDS must be a whole number of seconds/],
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

describe("placeholders from the shipped wrangler.toml", () => {
  it("refuses APP_URL on latchkey.example.com and says what to set", () => {
    const result = parse({ APP_URL: "https://latchkey.example.com" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join("\n")).toMatch(/APP_URL is still the example https:\/\/latchkey\.example\.com: set it to .*workers\.dev/);
  });

  it("refuses an EMAIL_FROM on latchkey.example.com", () => {
    const result = parse({ EMAIL_FROM: "Latchkey <login@latchkey.example.com>" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join("\n")).toMatch(/EMAIL_FROM is still the example address/);
  });
});

describe("the outbox is for this machine only (issue 10, item 11)", () => {
  it.each(["https://auth.example.org", "https://latchkey.workers.dev", "http://192.168.1.20:8787", "https://localhost.example.org"])(
    "is refused with APP_URL %s, saying the links would stay in the database",
    (appUrl) => {
      const result = parse({ EMAIL_PROVIDER: "outbox", APP_URL: appUrl });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problems.join("\n")).toMatch(
          /EMAIL_PROVIDER is outbox, which keeps sign-in emails in this Worker's database instead of sending them, so nobody would get their link/,
        );
      }
    },
  );

  it.each(["http://localhost:8787", "http://127.0.0.1:8787", "http://[::1]:8787", "https://latchkey.test"])("is accepted with APP_URL %s", (appUrl) => {
    expect(parse({ EMAIL_PROVIDER: "outbox", APP_URL: appUrl }).ok).toBe(true);
  });

  it("does not stop a real provider on a public APP_URL", () => {
    expect(parse({ EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_x", APP_URL: "https://auth.example.org" }).ok).toBe(true);
  });
});

describe("mail provider settings", () => {
  it("reads the Postmark server token", () => {
    const result = parse({ EMAIL_PROVIDER: "postmark", POSTMARK_SERVER_TOKEN: " pm-token " });
    expect(result.ok && result.config).toMatchObject({ emailProvider: "postmark", postmarkServerToken: "pm-token" });
  });

  it("accepts Cloudflare Email Service when the EMAIL binding is there", () => {
    const result = parse({ EMAIL_PROVIDER: "cloudflare", EMAIL: { send: async () => ({ messageId: "<x@y>" }) } });
    expect(result.ok && result.config.emailProvider).toBe("cloudflare");
  });
});
