/**
 * The daily cron's housekeeping (wrangler.toml [triggers]): rows that can never be used again are deleted,
 * so D1 doesn't grow with every email sent and old personal data (IPs, user agents) doesn't pile up.
 * Everything deleted here is already refused by the code that reads it. `PURGE` names, for every table in
 * the schema, the owner's statement that sweeps it, or why nothing needs to (a test holds us to that), and
 * the same cron rotates the OpenID Connect provider's signing keys when they are due.
 */
import { lt } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { runBatch } from "~/db/batch.server";
import { outboxMessages } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import { deleteExpiredRequests } from "~/provider/authorize.server";
import { deleteExpiredCodes } from "~/provider/grants.server";
import { deleteRetiredKeys, rotateSigningKeysIfDue } from "~/provider/keys.server";
import { deleteOldEvents } from "./audit/events.server";
import { deleteStaleLockouts } from "./email/code-lockouts.server";
import { deleteOldWindows } from "./email/send-budget.server";
import { deleteExpiredTokens } from "./email/verification-tokens.server";
import { deleteExpiredNonces } from "./google/one-tap-nonces.server";
import { deleteExpiredChallenges } from "./passkeys/statements.server";
import { deleteExpiredPendingSignIns } from "./session/pending-sign-ins.server";
import { deleteExpiredSessions } from "./session/sessions.server";
import { deleteStaleEnrollments } from "./two-factor/totp-credentials.server";

type Sweep = (db: Database, now: Date, config: AppConfig) => BatchItem<"sqlite">;

/** What the cron deletes, by table. */
export const PURGE: Record<string, Sweep> = {
  verification_tokens: (db, now) => deleteExpiredTokens(db, now),
  pending_sign_ins: (db, now) => deleteExpiredPendingSignIns(db, now),
  // Grants and refresh tokens go with their sessions (ON DELETE CASCADE).
  sessions: (db, now, config) => deleteExpiredSessions(db, now, config),
  code_lockouts: (db, now) => deleteStaleLockouts(db, now),
  auth_events: (db, now) => deleteOldEvents(db, now),
  send_budget: (db, now) => deleteOldWindows(db, now),
  totp_credentials: (db, now) => deleteStaleEnrollments(db, now),
  spent_nonces: (db, now) => deleteExpiredNonces(db, now),
  passkey_challenges: (db, now) => deleteExpiredChallenges(db, now),
  oauth_authorization_requests: (db, now) => deleteExpiredRequests(db, now),
  oauth_authorization_codes: (db, now) => deleteExpiredCodes(db, now),
  oauth_signing_keys: (db, now) => deleteRetiredKeys(db, now),
  // The local dev mailbox's table (empty in a deployment that sends real mail): a week is plenty.
  outbox_messages: (db, now) => db.delete(outboxMessages).where(lt(outboxMessages.sentAt, new Date(now.getTime() - 7 * 24 * 60 * 60 * 1000))),
};

/** Tables the cron leaves alone, and why: their rows live as long as what they belong to. */
export const NOT_PURGED: Record<string, string> = {
  users: "accounts live until deleted by their owner",
  identities: "linked until unlinked, or the account is deleted",
  recovery_codes: "valid until used, replaced, or 2FA is turned off",
  known_devices: "remembered for new-device alerts until 'this wasn't me' or deletion",
  passkeys: "registered until deleted",
  oauth_clients: "managed with npm run clients",
  oauth_grants: "deleted with their session (foreign key)",
  oauth_refresh_tokens: "deleted with their grant (foreign key)",
  oauth_consents: "remembered until revoked on the account page",
};

/** Runs every sweep in one batch; returns how many rows each deleted. */
export async function purgeExpiredRows(db: Database, now: Date, config: AppConfig): Promise<Record<string, number>> {
  const results = await runBatch(db, Object.fromEntries(Object.entries(PURGE).map(([table, sweep]) => [table, sweep(db, now, config)])));
  return Object.fromEntries(
    Object.entries(results).map(([table, result]) => [table, (result as D1Result | undefined)?.meta?.changes ?? (Array.isArray(result) ? result.length : 0)]),
  );
}

/** The cron's other job: a new signing key once the current one is due for rotation. */
export function rotateKeysIfDue(db: Database, now: Date, config: AppConfig): Promise<{ created: string[] }> {
  return rotateSigningKeysIfDue({ db, config, now: () => now });
}
