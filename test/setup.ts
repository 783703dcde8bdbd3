/**
 * Runs before every test file: migrates the local D1 once, empties every table and KV before each
 * test (the pool has no per-test isolation), and fails any test that logs an unexpected console.error.
 */
import { applyD1Migrations, env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, expect, vi } from "vitest";
import { forgetRecordedLimitHits } from "~/auth/events.server";

const TABLES = [
  "oauth_refresh_tokens",
  "oauth_grants",
  "oauth_authorization_codes",
  "oauth_authorization_requests",
  "oauth_consents",
  "oauth_signing_keys",
  "oauth_clients",
  "auth_events",
  "code_lockouts",
  "sessions",
  "pending_sign_ins",
  "identities",
  "totp_credentials",
  "recovery_codes",
  "known_devices",
  "passkeys",
  "passkey_challenges",
  "verification_tokens",
  "users",
  "outbox_messages",
  "send_budget",
  "spent_nonces",
];

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

let consoleError: ReturnType<typeof vi.spyOn>;
let expectedErrors = 0;

/** Declares that the current test expects the app to log errors (e.g. a failing email provider). */
export function expectConsoleErrors() {
  expectedErrors = Number.POSITIVE_INFINITY;
  consoleError.mockImplementation(() => {});
}

beforeEach(async () => {
  await env.DB.batch(TABLES.map((table) => env.DB.prepare(`DELETE FROM ${table}`)));
  const keys = await env.RATE_LIMITS.list();
  await Promise.all(keys.keys.map((key) => env.RATE_LIMITS.delete(key.name)));
  forgetRecordedLimitHits();
  expectedErrors = 0;
  consoleError = vi.spyOn(console, "error");
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

afterEach(() => {
  const calls = consoleError.mock.calls;
  vi.restoreAllMocks();
  if (calls.length > expectedErrors) {
    expect.fail(`unexpected console.error: ${calls.map((c: unknown[]) => c.map(String).join(" ")).join("\n")}`);
  }
});
