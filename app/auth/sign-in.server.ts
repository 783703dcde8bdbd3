/**
 * Email magic-link sign-in: issuing a link (token + email) and redeeming it (token → user → session).
 * Sign-up is implicit: the account is created when its first link is redeemed, so requesting a link
 * looks and costs the same for known and unknown addresses (ENU-1).
 */
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { Mailer } from "~/lib/mailer.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateId, isWellFormedToken, sha256Hex } from "~/lib/crypto.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { renderMagicLinkEmail } from "~/emails/magic-link";
import {
  VERIFICATION_LIFETIME_MS,
  consumeTokenStatement,
  createVerificationToken,
  deleteVerificationToken,
  findTokenByHash,
  supersedeOlderTokens,
  tokenProblem,
  type TokenProblem,
} from "./verification.server";
import { generateSessionToken, newSessionValues } from "./session.server";

export type MagicLinkRequestResult = { ok: true; expiresAt: Date } | { ok: false; reason: "mail-failed" };

export async function requestMagicLink(
  { db, mailer, config, now: clock }: { db: Database; mailer: Mailer; config: AppConfig; now: () => Date },
  { email, redirectTo, requestIp }: { email: string; redirectTo: string | null; requestIp: string | null },
): Promise<MagicLinkRequestResult> {
  const now = clock();
  const issued = await createVerificationToken(
    db,
    { email, purpose: "sign-in", redirectTo: redirectTo && safeRedirectPath(redirectTo), requestIp },
    now,
  );
  // Built from the configured origin, never from the request's Host (EM-4): a spoofed Host header
  // must not turn our email into a phishing link.
  const link = new URL("/auth/verify", config.appUrl);
  link.searchParams.set("token", issued.token);

  const sent = await mailer.send(
    renderMagicLinkEmail({
      to: email,
      link: link.href,
      expiresAt: issued.expiresAt,
      lifetimeMinutes: VERIFICATION_LIFETIME_MS / 60_000,
    }),
  );
  if (!sent.ok) {
    // Nothing dangling (EM-3): the person never received this token, so it must not stay redeemable.
    console.error(`sign-in mail failed: ${sent.error}`);
    await deleteVerificationToken(db, issued.id);
    return { ok: false, reason: "mail-failed" };
  }
  // Only after delivery, so a failed send doesn't also kill the link from an earlier email.
  await supersedeOlderTokens(db, { email, purpose: "sign-in", keepId: issued.id }, now);
  return { ok: true, expiresAt: issued.expiresAt };
}

export type RedeemResult =
  | { ok: true; userId: string; sessionToken: string; expiresAt: Date; redirectTo: string }
  | { ok: false; reason: TokenProblem };

/**
 * Consumes a sign-in token and creates the user (if new) and a fresh session, all in one D1 batch (a
 * transaction). The consume is a conditional UPDATE that stamps the token with the new session's id;
 * the user and session inserts only select rows carrying that stamp, so of any number of parallel
 * redemptions exactly one creates a session and the rest change nothing.
 */
export async function redeemMagicLink(
  { db, config, now: clock }: { db: Database; config: AppConfig; now: () => Date },
  { token, client, previousSessionToken }: { token: unknown; client: ClientInfo; previousSessionToken: string | null },
): Promise<RedeemResult> {
  const now = clock();
  if (!isWellFormedToken(token)) return { ok: false, reason: "invalid" };
  const tokenHash = await sha256Hex(token);
  const sessionToken = generateSessionToken();
  // user_id is filled in by the INSERT … SELECT below; the other values are this session's.
  const session = await newSessionValues(sessionToken, "", client, { now, config });
  const previousSessionId = previousSessionToken ? await sha256Hex(previousSessionToken) : null;
  const at = now.getTime();

  const d1 = db.$client;
  const stamped = `SELECT 1 FROM verification_tokens WHERE token_hash = ?1 AND session_id = ?2`;
  const [consumed, , created] = await d1.batch([
    consumeTokenStatement(db, { tokenHash, purpose: "sign-in", sessionId: session.id }, now),
    d1
      .prepare(
        `INSERT INTO users (id, email, email_verified_at, created_at)
         SELECT ?3, email, ?4, ?4 FROM verification_tokens WHERE token_hash = ?1 AND session_id = ?2
         ON CONFLICT (email) DO UPDATE SET email_verified_at = coalesce(users.email_verified_at, excluded.email_verified_at)`,
      )
      .bind(tokenHash, session.id, generateId("usr"), at),
    d1
      .prepare(
        `INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent, country)
         SELECT ?2, users.id, ?3, ?4, ?3, ?5, ?6, ?7
         FROM verification_tokens JOIN users ON users.email = verification_tokens.email
         WHERE verification_tokens.token_hash = ?1 AND verification_tokens.session_id = ?2
         RETURNING user_id`,
      )
      .bind(tokenHash, session.id, at, session.expiresAt.getTime(), session.ip, session.userAgent, session.country),
    // Session rotation (SES-2): the session this browser had before ends with this sign-in.
    d1
      .prepare(`DELETE FROM sessions WHERE id = ?3 AND EXISTS (${stamped})`)
      .bind(tokenHash, session.id, previousSessionId),
  ]);

  const redeemed = (consumed!.results as { email: string; redirect_to: string | null }[])[0];
  const userId = (created!.results as { user_id: string }[])[0]?.user_id;
  if (!redeemed || !userId) {
    const row = await findTokenByHash(db, tokenHash);
    return { ok: false, reason: (row && tokenProblem(row, now)) || "invalid" };
  }
  return {
    ok: true,
    userId,
    sessionToken,
    expiresAt: session.expiresAt,
    redirectTo: safeRedirectPath(redeemed.redirect_to),
  };
}
