/**
 * Housekeeping on a cron trigger (wrangler.toml [triggers]): deletes rows that can never be used again,
 * so D1 doesn't grow with every email sent. Everything here is already refused by the code that reads
 * it; purging only reclaims space and keeps old personal data (IPs, user agents) from piling up.
 */

import { deleteExpiredChallenges } from "~/auth/passkeys/statements.server";
import { createDb } from "~/lib/db.server";

/** How long the security log is kept: long enough to investigate, short enough not to hoard. */
export const AUTH_EVENT_RETENTION_MS = 180 * 24 * 60 * 60 * 1000;
/** Expired tokens stay a day, so "this link has expired" can still be told apart from "invalid". */
const TOKEN_GRACE_MS = 24 * 60 * 60 * 1000;

export async function purgeExpiredRows(d1: D1Database, now: Date, idleMs: number): Promise<Record<string, number>> {
  const at = now.getTime();
  const statements = {
    verification_tokens: d1.prepare(`DELETE FROM verification_tokens WHERE expires_at < ?1`).bind(at - TOKEN_GRACE_MS),
    pending_sign_ins: d1.prepare(`DELETE FROM pending_sign_ins WHERE expires_at < ?1`).bind(at),
    sessions: d1.prepare(`DELETE FROM sessions WHERE expires_at < ?1 OR last_seen_at < ?2`).bind(at, at - idleMs),
    code_lockouts: d1
      .prepare(`DELETE FROM code_lockouts WHERE coalesce(locked_until, 0) < ?1 AND window_started_at < ?2`)
      .bind(at, at - TOKEN_GRACE_MS),
    auth_events: d1.prepare(`DELETE FROM auth_events WHERE created_at < ?1`).bind(at - AUTH_EVENT_RETENTION_MS),
    // Unconfirmed 2FA enrollments are useless after 10 minutes; a day's grace keeps this simple.
    totp_credentials: d1.prepare(`DELETE FROM totp_credentials WHERE enabled_at IS NULL AND created_at < ?1`).bind(at - TOKEN_GRACE_MS),
    spent_nonces: d1.prepare(`DELETE FROM spent_nonces WHERE expires_at < ?1`).bind(at),
    outbox_messages: d1.prepare(`DELETE FROM outbox_messages WHERE sent_at < ?1`).bind(at - 7 * TOKEN_GRACE_MS),
  };
  const results = await d1.batch(Object.values(statements));
  // Passkey challenges nobody used: their owner module has the statement (drizzle, so its own round trip).
  const challenges = await deleteExpiredChallenges(createDb(d1), now).run();
  return {
    ...Object.fromEntries(Object.keys(statements).map((table, i) => [table, results[i]!.meta.changes])),
    passkey_challenges: challenges.meta.changes,
  };
}
