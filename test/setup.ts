/**
 * Runs before every test file: migrates the local D1 once, empties every table and KV before each
 * test (the pool has no per-test isolation), and fails any test that logs an unexpected console.error.
 */
import { applyD1Migrations, env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, expect, vi } from "vitest";
import { forgetRecordedLimitHits } from "~/auth/audit/events.server";
import { childrenFirst } from "./helpers/schema-tables";

// Every table of the schema, children before parents, so the foreign keys never object.
const TABLES = childrenFirst();

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
