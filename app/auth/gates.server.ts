/**
 * The per-IP gates in front of every email we send on request and every guess (RL-1, RL-5), in two layers:
 *
 * 1. **Burst** (Cloudflare's Rate Limiting binding, `[[ratelimits]]` in wrangler.toml): counted in memory
 *    at each Cloudflare location, so a burst of parallel requests from one client is cut off at once. It
 *    is per location and approximate, and only sees a short period (60 s).
 * 2. **Hourly / 10-minute windows** (KV): the longer budgets. KV has no atomic increment, takes ~1 write
 *    per second per key and may need 60 s to show a write elsewhere, so a burst can overshoot it; layer 1
 *    is what stops the burst.
 *
 * Neither is exact, and nothing security-critical relies on them: the per-email, per-code, per-account
 * and deployment-wide limits are exact, in D1. Clients are keyed by IPv4 address or IPv6 /64, hashed with
 * a server secret (a plain SHA-256 of an IPv4 address is reversible by trying all 2^32).
 */
import type { AuthDeps } from "./deps";
import type { AppConfig, Rate } from "~/lib/env.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { ipLimitSubject, isLoopbackIp } from "~/lib/client-ip";
import { keyedHash } from "~/lib/crypto.server";
import { consumeRateLimit, type RateLimitResult } from "~/lib/rate-limit.server";
import { recordLimitHit } from "~/auth/audit/events.server";

/** Both burst bindings use a 60-second period (wrangler.toml); a refused burst may retry after it. */
export const BURST_PERIOD_SECONDS = 60;

export type { BurstLimiters } from "./deps";

/** The parts of AuthDeps this needs. */
export type GateDeps = Pick<AuthDeps, "db" | "config" | "kv" | "now" | "waitUntil" | "limiters">;

type Gate = { name: "ip-sends" | "ip-verify"; rate: Rate; burst: RateLimit | undefined };

/** The key a client's per-IP counters live under: its IPv4 address or IPv6 /64, hashed with a secret. */
export function clientLimitKey(config: AppConfig, client: ClientInfo): Promise<string> {
  return keyedHash(config.sessionSecrets[0]!, "ip-limit", ipLimitSubject(client.ip));
}

async function passGate(deps: GateDeps, gate: Gate, client: ClientInfo, email: string | null): Promise<RateLimitResult> {
  const clientKey = ipLimitSubject(client.ip);
  const subject = await clientLimitKey(deps.config, client);
  // Without a real client address there is nothing to key a burst on: no IP, or a loopback one, only
  // happens in local runs (Cloudflare always sets CF-Connecting-IP to the client's public address), where
  // everyone shares the KV budget instead.
  if (gate.burst && client.ip && !isLoopbackIp(client.ip)) {
    const outcome = await gate.burst.limit({ key: `${gate.name}:${subject}` }).catch((error: unknown) => {
      console.warn(`burst gate "${gate.name}" skipped: rate limiter unavailable`, error);
      return { success: true };
    });
    if (!outcome.success) {
      recordLimitHit(deps, { limit: `${gate.name}-burst`, subject: clientKey, windowMs: BURST_PERIOD_SECONDS * 1000, email, client });
      return { ok: false, retryAfterSeconds: BURST_PERIOD_SECONDS };
    }
  }
  const result = await consumeRateLimit(
    { kv: deps.kv, now: deps.now(), waitUntil: deps.waitUntil },
    { name: gate.name, subject, rate: gate.rate },
  );
  if (!result.ok) recordLimitHit(deps, { limit: gate.name, subject: clientKey, windowMs: gate.rate.windowMs, email, client });
  return result;
}

/** Every email sent on request (sign-in, step-up): checked before any D1 work. */
export function sendGate(deps: GateDeps, client: ClientInfo, email: string): Promise<RateLimitResult> {
  return passGate(deps, { name: "ip-sends", rate: deps.config.limits.ipSends, burst: deps.limiters?.sends }, client, email);
}

/** Every guess: links, email codes, second factors, step-up codes, provider callbacks, passkeys. */
export function guessGate(deps: GateDeps, client: ClientInfo, email: string | null): Promise<RateLimitResult> {
  return passGate(deps, { name: "ip-verify", rate: deps.config.limits.ipVerify, burst: deps.limiters?.guesses }, client, email);
}
