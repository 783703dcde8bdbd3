/**
 * Per-IP rate limits in KV: a cheap first gate that stops floods before they reach D1 (RL-1).
 *
 * What this guarantees and what it doesn't (RL-5): KV is eventually consistent across locations (a
 * write can take 60 s or more to be seen elsewhere), allows about one write per second per key, and has
 * no atomic increment. Parallel requests can read the same count, so a burst may overshoot the limit,
 * and a client hopping between Cloudflare locations gets roughly one budget per location. Every limit
 * that security depends on (per-email sends, code guesses, the account cool-down) is enforced exactly
 * in D1; this one only has to make abuse expensive.
 *
 * If KV itself fails, the gate fails open (and says so in the log): refusing every sign-in because a
 * counter store is down would be worse, and the D1 limits still bound each inbox and each code.
 */
import type { Rate } from "./env.server";

export type RateLimitResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimitDeps {
  kv: KVNamespace;
  now: Date;
  /** The counter write is not needed for the answer; it can finish after the response. */
  waitUntil: (promise: Promise<unknown>) => void;
}

/** KV refuses expirations under 60 seconds. */
const MIN_KV_TTL_SECONDS = 60;

/**
 * Counts one request against a fixed window for `subject` and says whether it is allowed. `subject` is
 * already a keyed hash (see app/auth/gates.server.ts), so KV never stores IPs.
 */
export async function consumeRateLimit(
  { kv, now, waitUntil }: RateLimitDeps,
  { name, subject, rate }: { name: string; subject: string; rate: Rate },
): Promise<RateLimitResult> {
  const { key, windowEndsAt } = await windowKey({ name, subject, rate }, now);
  let count: number;
  try {
    count = Number((await kv.get(key)) ?? 0);
  } catch (error) {
    console.warn(`rate limit "${name}" skipped: KV unavailable`, error);
    return { ok: true };
  }
  if (count >= rate.limit) {
    return { ok: false, retryAfterSeconds: retryAfterSeconds(windowEndsAt, now) };
  }
  const ttl = Math.max(MIN_KV_TTL_SECONDS, Math.ceil((windowEndsAt - now.getTime()) / 1000));
  // A failed counter write (e.g. KV's per-key write limit under a flood) must not fail the request.
  const write = Promise.resolve().then(() => kv.put(key, String(count + 1), { expirationTtl: ttl }));
  waitUntil(write.catch((error) => console.warn("rate-limit write failed", error)));
  return { ok: true };
}

/**
 * Whether `subject` has already used up `rate` in this window, without counting this request: for gates
 * that count only failures (call consumeRateLimit when one happens), such as client authentication at
 * the token endpoint, where a working client must never be slowed down by its own successes.
 */
export async function rateLimitReached(
  { kv, now }: Pick<RateLimitDeps, "kv" | "now">,
  { name, subject, rate }: { name: string; subject: string; rate: Rate },
): Promise<RateLimitResult> {
  const { key, windowEndsAt } = await windowKey({ name, subject, rate }, now);
  try {
    const count = Number((await kv.get(key)) ?? 0);
    return count >= rate.limit ? { ok: false, retryAfterSeconds: retryAfterSeconds(windowEndsAt, now) } : { ok: true };
  } catch (error) {
    console.warn(`rate limit "${name}" skipped: KV unavailable`, error);
    return { ok: true };
  }
}

async function windowKey({ name, subject, rate }: { name: string; subject: string; rate: Rate }, now: Date) {
  const window = Math.floor(now.getTime() / rate.windowMs);
  return {
    key: `rl:${name}:${subject.slice(0, 64)}:${window}`,
    windowEndsAt: (window + 1) * rate.windowMs,
  };
}

/** Whole seconds until `until`, never less than one (a Retry-After of 0 invites an instant retry). */
export function retryAfterSeconds(until: number, now: Date): number {
  return Math.max(1, Math.ceil((until - now.getTime()) / 1000));
}
