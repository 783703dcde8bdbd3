/**
 * Housekeeping on a cron trigger (wrangler.toml [triggers]): deletes rows that can never be used again,
 * so D1 doesn't grow with every email sent. Everything here is already refused by the code that reads
 * it; purging only reclaims space and keeps old personal data (IPs, user agents) from piling up.
 * The same cron rotates the OpenID Connect provider's signing keys when they are due.
 */
import { oauthAuthorizationCodes, oauthAuthorizationRequests, oauthSigningKeys, passkeyChallenges } from "~/db/schema";
import { createDb } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import { deleteExpiredRequests } from "~/provider/authorize.server";
import { deleteExpiredCodes } from "~/provider/grants.server";
import { deleteRetiredKeys, rotateSigningKeysIfDue } from "~/provider/keys.server";
import { deleteExpiredChallenges } from "~/auth/passkeys/statements.server";

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
  // Passkey challenges nobody used, and the provider's tables, through their owner modules. (Grants and
  // refresh tokens go with their sessions, by foreign key, when the sessions above are deleted.)
  const db = createDb(d1);
  const [challenges, requests, codes, keys] = await db.batch([
    deleteExpiredChallenges(db, now).returning({ id: passkeyChallenges.id }),
    deleteExpiredRequests(db, now).returning({ id: oauthAuthorizationRequests.id }),
    deleteExpiredCodes(db, now).returning({ id: oauthAuthorizationCodes.id }),
    deleteRetiredKeys(db, now).returning({ id: oauthSigningKeys.id }),
  ]);
  return {
    ...Object.fromEntries(Object.keys(statements).map((table, i) => [table, results[i]!.meta.changes])),
    passkey_challenges: challenges.length,
    oauth_authorization_requests: requests.length,
    oauth_authorization_codes: codes.length,
    oauth_signing_keys: keys.length,
  };
}

/** The daily cron's other job: a new signing key once the current one is KEY_ROTATION_INTERVAL_MS old. */
export async function rotateKeysIfDue(d1: D1Database, now: Date, config: AppConfig): Promise<{ created: string[] }> {
  return rotateSigningKeysIfDue({ db: createDb(d1), config, now: () => now });
}
