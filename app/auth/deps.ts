/**
 * What every auth flow may use, in one type. Domain functions take `AuthDeps` (or a `Pick` of the parts
 * they need) as their first argument, so tests drive them with the real local D1 and KV, a recording
 * mailer and a clock that only moves when told. The Worker builds one per request (`authDepsFrom`); Remix
 * routes pass their load context, which is a superset.
 */
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { Mailer } from "~/lib/mail/mailer.server";

/** Per-location burst gates (Cloudflare's Rate Limiting bindings); absent in unit tests. */
export interface BurstLimiters {
  sends?: RateLimit;
  guesses?: RateLimit;
}

export interface AuthDeps {
  db: Database;
  config: AppConfig;
  mailer: Mailer;
  /** Rate-limit counters (the RATE_LIMITS binding). */
  kv: KVNamespace;
  limiters?: BurstLimiters;
  /** The clock, injectable so tests can move time. */
  now: () => Date;
  /** Work that may finish after the response (ctx.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
}

/** The deps of one request, from the Worker's bindings and the per-request db, config and mailer. */
export function authDepsFrom(
  env: Pick<Env, "RATE_LIMITS" | "SEND_BURST" | "GUESS_BURST">,
  ctx: Pick<ExecutionContext, "waitUntil">,
  { db, config, mailer }: Pick<AuthDeps, "db" | "config" | "mailer">,
): AuthDeps {
  return {
    db,
    config,
    mailer,
    kv: env.RATE_LIMITS,
    limiters: { sends: env.SEND_BURST, guesses: env.GUESS_BURST },
    now: () => new Date(),
    waitUntil: (promise) => ctx.waitUntil(promise),
  };
}

/** An expected refusal by a rate limit or a cool-down, as a value. */
export type RateLimited = { ok: false; reason: "rate-limited"; retryAfterSeconds: number };
