/**
 * The account security center's data and actions: where you're signed in, signing sessions out, the
 * security log in words, the "this wasn't me" link, and deleting the account.
 */
import type { AppConfig } from "~/lib/env.server";
import type { Database } from "~/lib/db.server";
import type { Mailer } from "~/lib/mail/mailer.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateId, isWellFormedToken, sha256Hex } from "~/lib/crypto.server";
import { normalizeEmail } from "~/lib/email-address";
import { describeBrowser, describeLocation } from "~/lib/user-agent";
import { recordAuthEvent } from "./events.server";
import { sendSecurityNotice } from "./notices.server";
import { ACTIVITY_WORDS, describeActivity, describeSignInMethod, REPEATABLE_EVENTS } from "./activity";
import { findTokenByHash, tokenProblem, type TokenProblem } from "./verification.server";
import { twoFactorStatusQuery, type TwoFactorStatus } from "./two-factor.server";
import { connectedAppsQuery, type ConnectedApp } from "~/provider/grants.server";

export interface AccountDeps {
  db: Database;
  config: AppConfig;
  mailer: Mailer;
  now: () => Date;
  waitUntil: (promise: Promise<unknown>) => void;
}

export interface SessionListing {
  /** The session row's id (a hash of its token, so showing it reveals nothing usable). */
  id: string;
  current: boolean;
  browser: string;
  location: string | null;
  ip: string | null;
  signedIn: string;
  createdAt: Date;
  lastSeenAt: Date;
}

type SessionRow = {
  id: string;
  created_at: number;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
  country: string | null;
  city: string | null;
  method: string | null;
};

/** Live sessions, most recently used first, the current one marked: the query and its reader. */
function sessionsQuery(deps: Pick<AccountDeps, "db" | "config" | "now">, { userId, currentSessionId }: { userId: string; currentSessionId: string }) {
  const now = deps.now().getTime();
  const statement = deps.db.$client
    .prepare(
      `SELECT id, created_at, last_seen_at, ip, user_agent, country, city, method FROM sessions
       WHERE user_id = ?1 AND expires_at > ?2 AND last_seen_at > ?3
       ORDER BY id = ?4 DESC, last_seen_at DESC, created_at DESC`,
    )
    .bind(userId, now, now - deps.config.sessionIdleMs, currentSessionId);
  const read = (result: D1Result): SessionListing[] =>
    (result.results as SessionRow[]).map((row) => ({
      id: row.id,
      current: row.id === currentSessionId,
      browser: describeBrowser(row.user_agent),
      location: describeLocation(row.country, row.city),
      ip: row.ip,
      signedIn: describeSignInMethod(row.method),
      createdAt: new Date(row.created_at),
      lastSeenAt: new Date(row.last_seen_at),
    }));
  return { statement, read };
}

export interface LinkedIdentity {
  id: string;
  provider: "github" | "google";
  login: string | null;
  name: string | null;
  /** The verified email the provider gave last time (how a Google account is named). */
  email: string | null;
  /** Google Workspace domain, for Workspace accounts. */
  hostedDomain: string | null;
  linkedAt: Date;
}

type IdentityRow = {
  id: string;
  provider: "github" | "google";
  login: string | null;
  name: string | null;
  email: string | null;
  hosted_domain: string | null;
  created_at: number;
};

/** Every provider account linked to the user, oldest first: the query and its reader. */
function identitiesQuery(db: Database, userId: string) {
  const statement = db.$client
    .prepare(`SELECT id, provider, login, name, email, hosted_domain, created_at FROM identities WHERE user_id = ?1 ORDER BY created_at, id`)
    .bind(userId);
  const read = (result: D1Result): LinkedIdentity[] =>
    (result.results as IdentityRow[]).map((row) => ({
      id: row.id,
      provider: row.provider,
      login: row.login,
      name: row.name,
      email: row.email,
      hostedDomain: row.hosted_domain,
      linkedAt: new Date(row.created_at),
    }));
  return { statement, read };
}

/**
 * Everything the account page shows besides the profile, read in one D1 batch (one round trip):
 * 2FA status, live sessions, linked accounts, recent activity, apps signed in to (app/provider).
 */
export async function loadAccountOverview(
  deps: Pick<AccountDeps, "db" | "config" | "now">,
  input: { userId: string; currentSessionId: string },
): Promise<{ twoFactor: TwoFactorStatus; sessions: SessionListing[]; identities: LinkedIdentity[]; activity: ActivityItem[]; apps: ConnectedApp[] }> {
  const twoFactor = twoFactorStatusQuery(deps.db, input.userId);
  const sessions = sessionsQuery(deps, input);
  const identities = identitiesQuery(deps.db, input.userId);
  const activity = activityQuery(deps.db, input.userId);
  const apps = connectedAppsQuery(deps, { userId: input.userId, now: deps.now() });
  const [a, b, c, d, e] = await deps.db.$client.batch([twoFactor.statement, sessions.statement, identities.statement, activity.statement, apps.statement]);
  return { twoFactor: twoFactor.read(a!), sessions: sessions.read(b!), identities: identities.read(c!), activity: activity.read(d!), apps: apps.read(e!) };
}

/** Signs out one of this user's sessions. Someone else's session id simply matches nothing. */
export async function revokeSession(
  deps: AccountDeps,
  { userId, sessionId, client }: { userId: string; sessionId: string; client: ClientInfo },
): Promise<{ ok: boolean }> {
  const row = await deps.db.$client
    .prepare(`DELETE FROM sessions WHERE id = ?1 AND user_id = ?2 RETURNING id`)
    .bind(sessionId, userId)
    .first();
  if (row) recordAuthEvent(deps, { type: "session_revoked", userId, client });
  return { ok: row !== null };
}

/** "Sign out everywhere else": every session but this one, and any sign-in waiting for its second step. */
export async function revokeOtherSessions(
  deps: AccountDeps,
  { userId, currentSessionId, client }: { userId: string; currentSessionId: string; client: ClientInfo },
): Promise<{ revoked: number }> {
  const d1 = deps.db.$client;
  const [sessions] = await d1.batch([
    d1.prepare(`DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2`).bind(userId, currentSessionId),
    d1.prepare(`DELETE FROM pending_sign_ins WHERE user_id = ?1`).bind(userId),
  ]);
  const revoked = sessions!.meta.changes;
  if (revoked > 0) recordAuthEvent(deps, { type: "other_sessions_revoked", detail: String(revoked), userId, client });
  return { revoked };
}

/** Removes one linked provider account of this user; email sign-in always remains. */
export async function unlinkIdentity(
  deps: AccountDeps,
  { userId, identityId, client }: { userId: string; identityId: unknown; client: ClientInfo },
): Promise<{ ok: true; provider: LinkedIdentity["provider"] } | { ok: false }> {
  if (typeof identityId !== "string" || identityId.length > 64) return { ok: false };
  const row = await deps.db.$client
    .prepare(`DELETE FROM identities WHERE id = ?1 AND user_id = ?2 RETURNING provider, login, hosted_domain`)
    .bind(identityId, userId)
    .first<{ provider: LinkedIdentity["provider"]; login: string | null; hosted_domain: string | null }>();
  if (!row) return { ok: false };
  // As when linking: GitHub's login or a Workspace domain, never an email in clear (LOG-2).
  const detail = (row.provider === "github" ? row.login : row.hosted_domain) ?? undefined;
  recordAuthEvent(deps, { type: row.provider === "google" ? "google_unlinked" : "github_unlinked", detail, userId, client });
  return { ok: true, provider: row.provider };
}

export interface ActivityItem {
  id: number;
  description: string;
  at: Date;
}

/** Only entries the account page has words for (activity.ts). */
const SHOWN_EVENTS = Object.keys(ACTIVITY_WORDS);

/** The last 50 security-log entries for this user, in words: the query and its reader. */
function activityQuery(db: Database, userId: string, limit = 50) {
  const statement = db.$client
    .prepare(
      `SELECT id, type, detail, user_agent, country, created_at FROM auth_events
       WHERE user_id = ?1 AND type IN (${SHOWN_EVENTS.map((t) => `'${t}'`).join(", ")})
       ORDER BY created_at DESC, id DESC LIMIT ?2`,
    )
    .bind(userId, limit);
  type Row = { id: number; type: string; detail: string | null; user_agent: string | null; country: string | null; created_at: number };
  const read = (result: D1Result): ActivityItem[] => {
    // Newest first; a run of the same repeatable failure from the same browser reads as one line.
    const runs: { row: Row; count: number }[] = [];
    for (const row of result.results as Row[]) {
      const last = runs.at(-1);
      const same = last && REPEATABLE_EVENTS.has(row.type) && last.row.type === row.type && last.row.detail === row.detail;
      if (same && last.row.user_agent === row.user_agent && last.row.country === row.country) last.count++;
      else runs.push({ row, count: 1 });
    }
    return runs.flatMap(({ row, count }) => {
      const description = describeActivity({ type: row.type, detail: row.detail, userAgent: row.user_agent, country: row.country }, count);
      return description ? [{ id: row.id, description, at: new Date(row.created_at) }] : [];
    });
  };
  return { statement, read };
}

export async function listActivity(db: Database, userId: string, limit = 50): Promise<ActivityItem[]> {
  const query = activityQuery(db, userId, limit);
  return query.read(await query.statement.all());
}

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

export type SignOutEverywhereResult = ({ ok: true } & Undone) | { ok: false; reason: Exclude<TokenProblem, "burned"> };

/**
 * The "This wasn't me" link from a security notice (POST only, after a confirm page). One batch consumes
 * the link and undoes what whoever got in could have set up: it ends every session and pending sign-in of
 * the account, removes second factors added since the disowned event (an authenticator and recovery codes
 * an intruder enrolled would otherwise lock the owner out), forgets its known devices and linked GitHub
 * accounts, and retires any sign-in email still in flight. So whoever got in is out, can't use a link they
 * requested or a factor they added, and is reported again if they come back.
 */
export async function signOutEverywhereWithLink(
  deps: AccountDeps,
  { token, client }: { token: unknown; client: ClientInfo },
): Promise<SignOutEverywhereResult> {
  if (!isWellFormedToken(token)) return { ok: false, reason: "invalid" };
  const now = deps.now();
  const at = now.getTime();
  const tokenHash = await sha256Hex(token);
  const stamp = generateId("out");
  const d1 = deps.db.$client;
  const account = `(SELECT users.id FROM users JOIN verification_tokens v ON v.email = users.email WHERE v.session_id = ?2)`;
  const since = `(SELECT coalesce(event_at, created_at) FROM verification_tokens WHERE session_id = ?2)`;
  const results = await d1.batch([
    d1
      .prepare(
        `UPDATE verification_tokens SET consumed_at = ?1, session_id = ?2
         WHERE token_hash = ?3 AND purpose = 'sign-out-everywhere' AND consumed_at IS NULL AND superseded_at IS NULL AND expires_at > ?1
         RETURNING email`,
      )
      .bind(at, stamp, tokenHash),
    d1.prepare(`DELETE FROM sessions WHERE user_id = ${account}`).bind(at, stamp),
    d1.prepare(`DELETE FROM pending_sign_ins WHERE user_id = ${account}`).bind(at, stamp),
    // Every browser is a stranger again: the next sign-in from any of them, the intruder's too, alerts.
    d1.prepare(`DELETE FROM known_devices WHERE user_id = ${account}`).bind(at, stamp),
    // A GitHub account linked by whoever got in would let them back without the mailbox. The owner's
    // own GitHub links again (with a notice) the next time they continue with it.
    d1.prepare(`DELETE FROM identities WHERE user_id = ${account} RETURNING login`).bind(at, stamp),
    d1
      .prepare(
        `UPDATE verification_tokens SET superseded_at = ?1
         WHERE purpose IN ('sign-in', 'step-up') AND consumed_at IS NULL AND superseded_at IS NULL
           AND email = (SELECT email FROM verification_tokens WHERE session_id = ?2)`,
      )
      .bind(at, stamp),
    // Second factors added since the disowned event (an unfinished enrollment too)…
    d1
      .prepare(`DELETE FROM totp_credentials WHERE user_id = ${account} AND (enabled_at IS NULL OR enabled_at >= ${since}) RETURNING enabled_at`)
      .bind(at, stamp),
    // …passkeys registered since then…
    d1.prepare(`DELETE FROM passkeys WHERE user_id = ${account} AND created_at >= ${since} RETURNING name`).bind(at, stamp),
    // …and recovery codes made since then, or left without the authenticator they back up.
    d1
      .prepare(
        `DELETE FROM recovery_codes WHERE user_id = ${account}
           AND (created_at >= ${since} OR NOT EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = ${account} AND t.enabled_at IS NOT NULL))
         RETURNING id`,
      )
      .bind(at, stamp),
  ]);
  const consumed = (results[0]!.results as { email: string }[])[0];
  if (!consumed) {
    const row = await findTokenByHash(deps.db, tokenHash);
    const reason = (row && row.purpose === "sign-out-everywhere" && tokenProblem(row, now, Number.POSITIVE_INFINITY)) || "invalid";
    return { ok: false, reason: reason as Exclude<TokenProblem, "burned"> };
  }
  const undone: Undone = {
    sessionsEnded: results[1]!.meta.changes,
    githubUnlinked: (results[4]!.results as { login: string | null }[]).flatMap((r) => (r.login ? [r.login] : [])),
    authenticatorRemoved: (results[6]!.results as { enabled_at: number | null }[]).some((r) => r.enabled_at !== null),
    passkeysRemoved: (results[7]!.results as { name: string }[]).map((r) => r.name),
    recoveryCodesRemoved: results[8]!.results.length,
  };
  const userRow = await d1.prepare(`SELECT id FROM users WHERE email = ?1`).bind(consumed.email).first<{ id: string }>();
  const summary = [
    `${undone.sessionsEnded} sessions`,
    undone.authenticatorRemoved ? "authenticator removed" : null,
    undone.recoveryCodesRemoved ? `${undone.recoveryCodesRemoved} recovery codes removed` : null,
    undone.passkeysRemoved.length ? `${undone.passkeysRemoved.length} passkeys removed` : null,
    undone.githubUnlinked.length ? `GitHub unlinked: ${undone.githubUnlinked.join(", ")}` : null,
  ].filter(Boolean);
  recordAuthEvent(deps, { type: "signed_out_everywhere", detail: summary.join("; "), email: consumed.email, userId: userRow?.id ?? null, client });
  return { ok: true, ...undone };
}

export type DeleteAccountResult = { ok: true } | { ok: false; reason: "mismatch" };

/**
 * Deletes the account after the person typed its email. Sessions, identities, 2FA secrets, recovery
 * codes and devices go with the user row (ON DELETE CASCADE); tokens and the code cool-down are keyed by
 * email, so they're deleted explicitly in the same batch. The security log keeps its entries without
 * the user id (it never held the email itself). A final email confirms it.
 */
export async function deleteAccount(
  deps: AccountDeps,
  { userId, email, typedEmail, client }: { userId: string; email: string; typedEmail: unknown; client: ClientInfo },
): Promise<DeleteAccountResult> {
  if (typeof typedEmail !== "string" || normalizeEmail(typedEmail) !== email) return { ok: false, reason: "mismatch" };
  const d1 = deps.db.$client;
  await d1.batch([
    d1.prepare(`DELETE FROM verification_tokens WHERE email = ?1`).bind(email),
    d1.prepare(`DELETE FROM code_lockouts WHERE email = ?1`).bind(email),
    // Spelled out although the foreign keys cascade: the batch stays correct even where they're off.
    d1.prepare(`DELETE FROM sessions WHERE user_id = ?1`).bind(userId),
    d1.prepare(`DELETE FROM pending_sign_ins WHERE user_id = ?1`).bind(userId),
    d1.prepare(`DELETE FROM identities WHERE user_id = ?1`).bind(userId),
    d1.prepare(`DELETE FROM totp_credentials WHERE user_id = ?1`).bind(userId),
    d1.prepare(`DELETE FROM recovery_codes WHERE user_id = ?1`).bind(userId),
    d1.prepare(`DELETE FROM known_devices WHERE user_id = ?1`).bind(userId),
    d1.prepare(`DELETE FROM passkeys WHERE user_id = ?1`).bind(userId),
    d1.prepare(`DELETE FROM passkey_challenges WHERE user_id = ?1`).bind(userId),
    d1.prepare(`UPDATE auth_events SET user_id = NULL WHERE user_id = ?1`).bind(userId),
    d1.prepare(`DELETE FROM users WHERE id = ?1`).bind(userId),
  ]);
  recordAuthEvent(deps, { type: "account_deleted", email, client });
  const host = new URL(deps.config.appUrl).host;
  sendSecurityNotice(deps, client, {
    to: email,
    subject: "Your Latchkey account was deleted",
    heading: "Your account was deleted",
    paragraphs: [
      `Your account at ${host} (${email}) and everything attached to it (sessions, linked GitHub account, two-factor settings) has been deleted. You've been signed out everywhere.`,
      "If you didn't do this, contact the site's administrator right away. You can create a new account with the same address at any time.",
    ],
  });
  return { ok: true };
}
