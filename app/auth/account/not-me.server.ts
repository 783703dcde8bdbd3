/**
 * The "This wasn't me" link from a security notice (a new-device alert, or 2FA being turned on). GET only
 * shows a confirm page (mail scanners prefetch links); the POST undoes what whoever got in could have set
 * up, in one batch: it consumes the link, ends every session and pending sign-in of the account, removes
 * second factors added since the disowned event (an authenticator, recovery codes, passkeys: they would
 * otherwise lock the owner out or let the intruder back), forgets the account's known devices and linked
 * provider accounts, and retires any sign-in email still in flight (decision 011).
 */
import { sql } from "drizzle-orm";
import { runBatch } from "~/db/batch.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateId, isWellFormedToken, sha256Hex } from "~/lib/crypto.server";
import type { AuthDeps } from "../deps";
import { recordAuthEvent } from "../audit/events.server";
import { deleteUserDevices } from "../devices/known-devices.server";
import { consumeLinkToken, emailRedeemedBy, eventOfLink, retireInFlightTokens, whyLinkRefused, type TokenProblem } from "../email/verification-tokens.server";
import { deleteUserIdentities } from "../identities/identities.server";
import { deletePasskeysCreatedSince } from "../passkeys/statements.server";
import { deleteUserPendingSignIns } from "../session/pending-sign-ins.server";
import { deleteUserSessions } from "../session/sessions.server";
import { codeMadeSince, deleteRecoveryCodes } from "../two-factor/recovery-codes.server";
import { deleteAuthenticator, secondFactorEnabled } from "../two-factor/totp-credentials.server";
import { userIdByEmail } from "../users/users.server";

/** What a "this wasn't me" link undid, for the page that tells the owner. */
export interface Undone {
  sessionsEnded: number;
  /** An authenticator app set up (or being set up) since the disowned event was removed. */
  authenticatorRemoved: boolean;
  recoveryCodesRemoved: number;
  /** Names of passkeys registered since the disowned event. */
  passkeysRemoved: string[];
  githubUnlinked: string[];
}

/** The tables the batch below acts on (its statement names), and those it leaves alone on purpose. */
export const NOT_ME_COVERS = ["sessions", "pending_sign_ins", "known_devices", "identities", "verification_tokens", "totp_credentials", "passkeys", "recovery_codes"];
export const NOT_ME_KEEPS: Record<string, string> = {
  users: "the account itself stays",
  auth_events: "the log is the evidence",
  oauth_grants: "deleted with the sessions (foreign key)",
  oauth_authorization_codes: "deleted with the sessions (foreign key)",
  oauth_consents: "consents give nothing without a session",
  passkey_challenges: "a challenge alone signs nobody in, and expires in 5 minutes",
};

export type SignOutEverywhereResult = ({ ok: true } & Undone) | { ok: false; reason: Exclude<TokenProblem, "burned"> };

export async function signOutEverywhereWithLink(deps: AuthDeps, { token, client }: { token: unknown; client: ClientInfo }): Promise<SignOutEverywhereResult> {
  if (!isWellFormedToken(token)) return { ok: false, reason: "invalid" };
  const { db } = deps;
  const now = deps.now();
  const tokenHash = await sha256Hex(token);
  // Every statement after the first acts only on the account whose link this request consumed.
  const stamp = generateId("out");
  const email = sql`(${emailRedeemedBy(stamp)})`;
  const account = userIdByEmail(email);
  const since = eventOfLink(stamp);
  const results = await runBatch(db, {
    consumed: consumeLinkToken(db, { tokenHash, purpose: "sign-out-everywhere", now, stamp }),
    // Every session ends (and with them the apps' grants and refresh tokens, by foreign key).
    sessions: deleteUserSessions(db, account),
    pending_sign_ins: deleteUserPendingSignIns(db, account),
    // Every browser is a stranger again: the next sign-in from any of them, the intruder's too, alerts.
    known_devices: deleteUserDevices(db, account),
    // A provider account linked by whoever got in would let them back without the mailbox. The owner's
    // own links again (with a notice) the next time they continue with it.
    identities: deleteUserIdentities(db, account),
    verification_tokens: retireInFlightTokens(db, email, now),
    // Second factors added since the disowned event (an unfinished enrollment too)…
    totp_credentials: deleteAuthenticator(db, account, { since }),
    passkeys: deletePasskeysCreatedSince(db, account, since),
    // …and recovery codes made since then, or left without the authenticator they back up.
    recovery_codes: deleteRecoveryCodes(db, account, { when: sql`(${codeMadeSince(since)} OR NOT ${secondFactorEnabled(account)})` }),
  });
  const consumed = results.consumed[0];
  if (!consumed) return { ok: false, reason: (await whyLinkRefused(db, { tokenHash, purpose: "sign-out-everywhere", now })).reason };

  const undone: Undone = {
    sessionsEnded: results.sessions.length,
    githubUnlinked: results.identities.flatMap((row) => (row.provider === "github" && row.login ? [row.login] : [])),
    authenticatorRemoved: results.totp_credentials.some((row) => row.enabledAt !== null),
    passkeysRemoved: results.passkeys.map((row) => row.name),
    recoveryCodesRemoved: results.recovery_codes.length,
  };
  const summary = [
    `${undone.sessionsEnded} sessions`,
    undone.authenticatorRemoved ? "authenticator removed" : null,
    undone.recoveryCodesRemoved ? `${undone.recoveryCodesRemoved} recovery codes removed` : null,
    undone.passkeysRemoved.length ? `${undone.passkeysRemoved.length} passkeys removed` : null,
    undone.githubUnlinked.length ? `GitHub unlinked: ${undone.githubUnlinked.join(", ")}` : null,
  ].filter(Boolean);
  const [user] = await db.all<{ id: string }>(sql`SELECT ${userIdByEmail(consumed.email)} AS id`);
  recordAuthEvent(deps, { type: "signed_out_everywhere", detail: summary.join("; "), email: consumed.email, userId: user?.id ?? null, client });
  return { ok: true, ...undone };
}
