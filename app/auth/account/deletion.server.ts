/**
 * Deleting an account after the person typed its email. One batch removes every row that belongs to it.
 * Which tables that is comes from the schema: `ACCOUNT_DELETION` names a statement for every table with a
 * `user_id` column (or says why one is kept), and a test fails when a new such table is missing from it.
 * Tables keyed by email (tokens, the code cool-down) are listed too. The security log keeps its entries
 * without the user id (it never held the email itself). A final email confirms it.
 */
import { runBatch } from "~/db/batch.server";
import type { BatchItem } from "drizzle-orm/batch";
import type { ClientInfo } from "~/lib/client-info.server";
import type { Database } from "~/lib/db.server";
import { normalizeEmail } from "~/lib/email-address";
import { deleteUserConsents } from "~/provider/consents.server";
import { deleteUserCodes, deleteUserGrants } from "~/provider/grants.server";
import type { AuthDeps } from "../deps";
import { detachUserEvents, recordAuthEvent } from "../audit/events.server";
import { sendSecurityNotice } from "../audit/notices.server";
import { deleteUserDevices } from "../devices/known-devices.server";
import { deleteLockoutForEmail } from "../email/code-lockouts.server";
import { deleteTokensForEmail } from "../email/verification-tokens.server";
import { deleteUserIdentities } from "../identities/identities.server";
import { deleteAllPasskeys, deleteUserChallenges } from "../passkeys/statements.server";
import { deleteUserPendingSignIns } from "../session/pending-sign-ins.server";
import { deleteUserSessions } from "../session/sessions.server";
import { deleteRecoveryCodes } from "../two-factor/recovery-codes.server";
import { deleteAuthenticator } from "../two-factor/totp-credentials.server";
import { deleteUser } from "../users/users.server";

type Account = { userId: string; email: string };

/**
 * For each table holding an account's rows, by table name: the statement that removes (or detaches) them.
 * Spelled out although most foreign keys cascade: the batch stays correct even where they're off. Order
 * matters: children first, the user row last.
 */
export const ACCOUNT_DELETION: Record<string, (db: Database, account: Account) => BatchItem<"sqlite">> = {
  verification_tokens: (db, { email }) => deleteTokensForEmail(db, email),
  code_lockouts: (db, { email }) => deleteLockoutForEmail(db, email),
  oauth_consents: (db, { userId }) => deleteUserConsents(db, userId),
  oauth_authorization_codes: (db, { userId }) => deleteUserCodes(db, userId),
  oauth_grants: (db, { userId }) => deleteUserGrants(db, userId),
  sessions: (db, { userId }) => deleteUserSessions(db, userId),
  pending_sign_ins: (db, { userId }) => deleteUserPendingSignIns(db, userId),
  identities: (db, { userId }) => deleteUserIdentities(db, userId),
  totp_credentials: (db, { userId }) => deleteAuthenticator(db, userId),
  recovery_codes: (db, { userId }) => deleteRecoveryCodes(db, userId),
  known_devices: (db, { userId }) => deleteUserDevices(db, userId),
  passkeys: (db, { userId }) => deleteAllPasskeys(db, userId),
  passkey_challenges: (db, { userId }) => deleteUserChallenges(db, userId),
  // Kept, detached: the log is evidence and holds no email in clear.
  auth_events: (db, { userId }) => detachUserEvents(db, userId),
  users: (db, { userId }) => deleteUser(db, userId),
};

export type DeleteAccountResult = { ok: true } | { ok: false; reason: "mismatch" };

export async function deleteAccount(
  deps: AuthDeps,
  { userId, email, typedEmail, client }: { userId: string; email: string; typedEmail: unknown; client: ClientInfo },
): Promise<DeleteAccountResult> {
  if (typeof typedEmail !== "string" || normalizeEmail(typedEmail) !== email) return { ok: false, reason: "mismatch" };
  const account = { userId, email };
  await runBatch(deps.db, Object.fromEntries(Object.entries(ACCOUNT_DELETION).map(([table, statement]) => [table, statement(deps.db, account)])));
  recordAuthEvent(deps, { type: "account_deleted", email, client });
  const host = new URL(deps.config.appUrl).host;
  sendSecurityNotice(deps, client, {
    to: email,
    subject: "Your Latchkey account was deleted",
    heading: "Your account was deleted",
    paragraphs: [
      `Your account at ${host} (${email}) and everything attached to it (sessions, linked accounts, passkeys, two-factor settings, app access) has been deleted. You've been signed out everywhere.`,
      "If you didn't do this, contact the site's administrator right away. You can create a new account with the same address at any time.",
    ],
  });
  return { ok: true };
}
