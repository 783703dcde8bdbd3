/** Domain-level dependencies for unit tests: the real local D1, a parsed config and a movable clock. */
import { env } from "cloudflare:test";
import { createDb } from "~/lib/db.server";
import { readConfig, type AppConfig } from "~/lib/env.server";

export const db = createDb(env.DB);

export function testConfig(overrides: Partial<Env> = {}): AppConfig {
  const result = readConfig({ ...env, ...overrides } as Env);
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.config;
}

export const MINUTE = 60 * 1000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A clock that only moves when the test says so. */
export function testClock(start = Date.UTC(2026, 0, 1, 12)) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
    at: (ms: number) => new Date(start + ms),
  };
}

export const client = { ip: "203.0.113.7", userAgent: "vitest", country: "NL" };
