/**
 * What every successful first factor (email link, email code, GitHub, Google) ends in: a session, or, for a user
 * with two-factor authentication on, a short-lived pending sign-in that /auth/2fa completes. The choice
 * is made inside the same D1 statements that create the row, so a user who turns 2FA on can never get a
 * full session from a first factor that raced with it.
 */
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateToken, sha256Hex } from "~/lib/crypto.server";
import { safeRedirectPath } from "~/lib/safe-redirect";

/** How long the second step may take after the first factor succeeded. */
export const PENDING_SIGN_IN_LIFETIME_MS = 10 * 60 * 1000;

export type SignInMethod = "link" | "code" | "github" | "google" | "passkey";

/**
 * A provider account to attach to the user, written only by the batch that completes the sign-in (or,
 * for a user with 2FA on, the one that completes its second step). Until then an identity that matched
 * the account by email alone gives its holder nothing.
 */
export interface IdentityLink {
  id: string;
  provider: "github" | "google";
  providerUserId: string;
  login: string | null;
  name: string | null;
  avatarUrl: string | null;
  email: string;
  /** Google Workspace domain (`hd`); absent in links stored before Google sign-in existed. */
  hostedDomain?: string | null;
}

export type SignInOutcome =
  | { kind: "session"; userId: string; token: string; expiresAt: Date; redirectTo: string; method: string; linked?: IdentityLink | null }
  | { kind: "second-factor"; userId: string; token: string; expiresAt: Date; redirectTo: string; method: string };

/**
 * Whose sign-in this is. `redeemedToken`: the user behind the verification token that an earlier
 * statement in the same batch stamped with this session's id (email sign-in). `userId`: a user already
 * resolved (GitHub, Google).
 */
export type SignInSubject = { redeemedToken: true } | { userId: string; redirectTo: string | null };

const TWO_FACTOR_ON = `EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = users.id AND t.enabled_at IS NOT NULL)`;

/** Binds exactly as many values as the statement's highest ?N (D1 refuses any other count). */
export function bindNumbered(d1: D1Database, query: string, params: unknown[]): D1PreparedStatement {
  const highest = Math.max(0, ...[...query.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])));
  return d1.prepare(query).bind(...params.slice(0, highest));
}

/**
 * The statements that start a session (or a pending sign-in) for `subject` and end the browser's
 * previous session, plus a reader for their results. Callers put them in a batch after whatever
 * statement makes the sign-in valid.
 */
export async function prepareSessionStart(
  deps: { db: Database; config: AppConfig },
  input: {
    subject: SignInSubject;
    method: SignInMethod;
    client: ClientInfo;
    previousSessionToken: string | null;
    link?: IdentityLink | null;
    /** The sign-in already proved two factors (a passkey with user verification, WAN-3): no TOTP step. */
    secondFactorSatisfied?: boolean;
  },
  now: Date,
) {
  const d1 = deps.db.$client;
  const sessionToken = generateToken(32);
  const pendingToken = generateToken(32);
  const sessionId = await sha256Hex(sessionToken);
  const pendingId = await sha256Hex(pendingToken);
  const at = now.getTime();
  const sessionExpiresAt = new Date(at + deps.config.sessionLifetimeMs);
  const pendingExpiresAt = new Date(at + PENDING_SIGN_IN_LIFETIME_MS);
  const { subject, client } = input;

  // The subject as a FROM clause yielding `users` and a `redirect_to` column.
  const from =
    "redeemedToken" in subject
      ? `FROM verification_tokens JOIN users ON users.email = verification_tokens.email WHERE verification_tokens.session_id = ?11`
      : `FROM users WHERE users.id = ?11`;
  const redirectColumn = "redeemedToken" in subject ? "verification_tokens.redirect_to" : "?12";
  const secondFactorDue = input.secondFactorSatisfied ? "0" : TWO_FACTOR_ON;
  const params = [
    sessionId,
    at,
    sessionExpiresAt.getTime(),
    client.ip,
    client.userAgent,
    client.country,
    client.city,
    input.method,
    pendingId,
    pendingExpiresAt.getTime(),
    "redeemedToken" in subject ? sessionId : subject.userId,
    "redeemedToken" in subject ? null : subject.redirectTo,
    input.previousSessionToken ? await sha256Hex(input.previousSessionToken) : null,
    input.link ? JSON.stringify(input.link) : null,
  ];

  const statements = [
    bindNumbered(
      d1,
      `INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent, country, city, method, authenticated_at)
       SELECT ?1, users.id, ?2, ?3, ?2, ?4, ?5, ?6, ?7, ?8, ?2 ${from} AND NOT ${secondFactorDue}
       RETURNING user_id`,
      params,
    ),
    bindNumbered(
      d1,
      `INSERT INTO pending_sign_ins (id, user_id, method, redirect_to, attempts, created_at, expires_at, link)
       SELECT ?9, users.id, ?8, ${redirectColumn}, 0, ?2, ?10, ?14 ${from} AND ${secondFactorDue}
       RETURNING user_id, redirect_to`,
      params,
    ),
    // Session rotation (SES-2): whatever session this browser had ends with this sign-in.
    bindNumbered(
      d1,
      `DELETE FROM sessions WHERE id = ?13 AND EXISTS (SELECT 1 ${from})`,
      params,
    ),
    ...(input.link ? [linkIdentityWhere(d1, `SELECT user_id FROM sessions WHERE id = ?2`, input.link, [at, sessionId])] : []),
  ];

  /** Reads the outcome from the batch's results; `offset` is where these statements start in it. */
  const readOutcome = (results: D1Result[], offset: number, redirectTo: string | null): SignInOutcome | null => {
    const session = (results[offset]?.results as { user_id: string }[] | undefined)?.[0];
    if (session) {
      const linked = input.link ? ((results[offset + 3]?.results as unknown[] | undefined)?.length ?? 0) > 0 : false;
      return {
        kind: "session",
        userId: session.user_id,
        token: sessionToken,
        expiresAt: sessionExpiresAt,
        redirectTo: safeRedirectPath(redirectTo),
        method: input.method,
        linked: linked ? input.link! : null,
      };
    }
    const pending = (results[offset + 1]?.results as { user_id: string; redirect_to: string | null }[] | undefined)?.[0];
    if (pending) {
      return {
        kind: "second-factor",
        userId: pending.user_id,
        token: pendingToken,
        expiresAt: pendingExpiresAt,
        redirectTo: safeRedirectPath(pending.redirect_to),
        method: input.method,
      };
    }
    return null;
  };

  return { statements, readOutcome, sessionId };
}

/**
 * Attaches `link` to the user that `userQuery` (a one-column SELECT, with ?1 the time and ?2 a value it
 * may use) yields in the same batch, and only then; a provider account already linked stays as it is.
 */
export function linkIdentityWhere(d1: D1Database, userQuery: string, link: IdentityLink, [at, key]: [number, string]): D1PreparedStatement {
  return bindNumbered(
    d1,
    `INSERT INTO identities (id, user_id, provider, provider_user_id, login, name, avatar_url, email, hosted_domain, created_at, updated_at)
     SELECT ?3, (${userQuery}), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?1, ?1 WHERE (${userQuery}) IS NOT NULL
     ON CONFLICT (provider, provider_user_id) DO NOTHING
     RETURNING id`,
    [at, key, link.id, link.provider, link.providerUserId, link.login, link.name, link.avatarUrl, link.email, link.hostedDomain ?? null],
  );
}

/** Starts a session (or pending sign-in) for a user resolved outside D1's batch, e.g. after GitHub or Google. */
export async function startSessionForUser(
  deps: { db: Database; config: AppConfig; now: () => Date },
  input: {
    userId: string;
    redirectTo: string | null;
    method: SignInMethod;
    client: ClientInfo;
    previousSessionToken: string | null;
    link?: IdentityLink | null;
    secondFactorSatisfied?: boolean;
  },
): Promise<SignInOutcome> {
  const prepared = await prepareSessionStart(
    deps,
    {
      subject: { userId: input.userId, redirectTo: input.redirectTo && safeRedirectPath(input.redirectTo) },
      method: input.method,
      client: input.client,
      previousSessionToken: input.previousSessionToken,
      link: input.link ?? null,
      secondFactorSatisfied: input.secondFactorSatisfied,
    },
    deps.now(),
  );
  const results = await deps.db.$client.batch(prepared.statements);
  const outcome = prepared.readOutcome(results, 0, input.redirectTo);
  if (!outcome) throw new Error(`user ${input.userId} vanished while signing in`);
  return outcome;
}
