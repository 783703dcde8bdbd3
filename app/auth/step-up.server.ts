/**
 * Step-up ("confirm it's you"): turning 2FA on or off, replacing recovery codes and deleting the account
 * need a sign-in from the last ten minutes, or else proof again: a fresh code emailed to the account, or,
 * when 2FA is on, an authenticator or recovery code (an email code alone would let whoever holds the
 * mailbox and an old session cookie turn 2FA off). A cookie left on a shared computer is not enough.
 */
import type { Session, User } from "~/db/schema";
import type { ClientInfo } from "~/lib/client-info.server";
import { renderNoticeEmail } from "~/emails/notice-email";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { recordAuthEvent } from "./events.server";
import { codeLockedUntil, countCodeFailure, isWellFormedCode, type RateLimited, type SignInDeps } from "./sign-in.server";
import { generateId } from "~/lib/crypto.server";
import { retryAfterSeconds } from "~/lib/rate-limit.server";
import { guessGate, sendGate } from "./gates.server";
import { deleteVerificationToken, hashCode, issueVerificationToken, supersedeOlderTokens, VERIFICATION_LIFETIME_MS } from "./verification.server";
import { getTwoFactorStatus } from "./two-factor.server";
import { noticeDetails } from "./notices.server";

export const STEP_UP_WINDOW_MS = 10 * 60 * 1000;

/** True when this session proved who it is (sign-in or step-up code) within the last ten minutes. */
export function isRecentlyAuthenticated(session: Pick<Session, "authenticatedAt" | "createdAt">, now: Date): boolean {
  const at = (session.authenticatedAt ?? session.createdAt).getTime();
  return now.getTime() - at < STEP_UP_WINDOW_MS;
}

/** With 2FA on, step-up takes the second factor instead (see stepUpWithSecondFactor). */
async function hasTwoFactor(deps: Pick<SignInDeps, "db">, userId: string): Promise<boolean> {
  return (await getTwoFactorStatus(deps.db, userId)).enabled;
}

export async function sendStepUpCode(
  deps: SignInDeps,
  { user, client }: { user: Pick<User, "id" | "email">; client: ClientInfo },
): Promise<{ ok: true } | RateLimited | { ok: false; reason: "mail-failed" | "use-second-factor" }> {
  if (await hasTwoFactor(deps, user.id)) return { ok: false, reason: "use-second-factor" };
  const now = deps.now();
  const gate = await sendGate(deps, client, user.email);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const issued = await issueVerificationToken(
    deps.db,
    deps.config,
    { email: user.email, purpose: "step-up", redirectTo: null, requestIp: client.ip },
    now,
  );
  if (!issued.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: issued.retryAfterSeconds };
  const sent = await deps.mailer.send(
    renderNoticeEmail({
      to: user.email,
      appUrl: deps.config.appUrl,
      subject: "Your Latchkey confirmation code",
      heading: "Confirm it's you",
      paragraphs: [
        `Enter this code on your account page to confirm a security change: ${issued.issued.code}`,
        `It works once and expires in ${VERIFICATION_LIFETIME_MS / 60_000} minutes. If you didn't ask for it, someone may be signed in to your account: open your account page and sign out everywhere else.`,
      ],
      details: noticeDetails(now, client),
    }),
  );
  if (!sent.ok) {
    // Nothing dangling (EM-3): a code nobody received must not stay usable.
    console.error(`step-up code mail failed: ${sent.error}`);
    await deleteVerificationToken(deps.db, issued.issued.id);
    return { ok: false, reason: "mail-failed" };
  }
  await supersedeOlderTokens(deps.db, { email: user.email, purpose: "step-up", keepId: issued.issued.id }, now);
  return { ok: true };
}

export type StepUpResult =
  | { ok: true }
  | { ok: false; reason: "malformed" | "no-code" | "use-second-factor" }
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  | { ok: false; reason: "wrong-code"; attemptsLeft: number }
  | RateLimited;

/**
 * Checks a step-up code and, in the same batch, marks this session as freshly authenticated. A wrong
 * guess counts against the code (burned after CODE_MAX_ATTEMPTS), exactly as sign-in codes do.
 */
export async function confirmStepUp(
  deps: SignInDeps,
  { session, user, code, client }: { session: Pick<Session, "id">; user: Pick<User, "id" | "email">; code: string; client: ClientInfo },
): Promise<StepUpResult> {
  const gate = await guessGate(deps, client, user.email);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  if (await hasTwoFactor(deps, user.id)) return { ok: false, reason: "use-second-factor" };
  const digits = code.replace(/[\s-]/g, "");
  if (!isWellFormedCode(digits)) return { ok: false, reason: "malformed" };

  const now = deps.now();
  // Emailed codes share one cool-down per address, whether they sign in or confirm a change (RL-3).
  const lockedUntil = await codeLockedUntil(deps.db, user.email, now);
  if (lockedUntil) return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockedUntil, now) };
  const max = deps.config.limits.codeMaxAttempts;
  const codeHash = await hashCode(deps.config, { email: user.email, purpose: "step-up", code: digits });
  const d1 = deps.db.$client;
  const guessId = generateId("guess");
  const live = `email = ?1 AND purpose = 'step-up' AND consumed_at IS NULL AND superseded_at IS NULL AND expires_at > ?2 AND attempts < ?3`;
  const notLocked = `NOT EXISTS (SELECT 1 FROM code_lockouts WHERE email = ?1 AND locked_until > ?2)`;
  const results = await d1.batch([
    d1
      .prepare(`UPDATE verification_tokens SET consumed_at = ?2, session_id = ?5 WHERE ${live} AND code_hash = ?4 AND ${notLocked} RETURNING id`)
      .bind(user.email, now.getTime(), max, codeHash, session.id),
    d1
      .prepare(
        `UPDATE verification_tokens SET attempts = attempts + 1, last_guess_id = ?5
         WHERE ${live} AND ${notLocked} AND NOT EXISTS (SELECT 1 FROM verification_tokens WHERE email = ?1 AND purpose = 'step-up' AND code_hash = ?4)
         RETURNING attempts`,
      )
      .bind(user.email, now.getTime(), max, codeHash, guessId),
    countCodeFailure(d1, deps.config, { email: user.email, at: now.getTime(), guessId }),
    d1
      .prepare(
        `UPDATE sessions SET authenticated_at = ?2
         WHERE id = ?3 AND EXISTS (SELECT 1 FROM verification_tokens WHERE session_id = ?3 AND purpose = 'step-up' AND consumed_at = ?2 AND email = ?1)`,
      )
      .bind(user.email, now.getTime(), session.id),
  ]);
  if (results[3]!.meta.changes === 1) {
    recordAuthEvent(deps, { type: "step_up", userId: user.id, client });
    return { ok: true };
  }
  const attempts = (results[1]!.results as { attempts: number }[])[0]?.attempts;
  recordAuthEvent(deps, { type: "step_up_failed", userId: user.id, client });
  const lockout = (results[2]!.results as { failures: number; locked_until: number | null }[])[0];
  if (lockout?.locked_until && lockout.locked_until > now.getTime()) {
    recordAuthEvent(deps, { type: "code_lockout", detail: `${lockout.failures} failures`, email: user.email, userId: user.id, client });
    return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockout.locked_until, now) };
  }
  if (attempts === undefined) return { ok: false, reason: "no-code" };
  const attemptsLeft = max - attempts;
  return attemptsLeft > 0 ? { ok: false, reason: "wrong-code", attemptsLeft } : { ok: false, reason: "no-code" };
}

/** Only account pages are worth coming back to after step-up; anything else lands on the account page. */
export function stepUpNextPath(value: unknown): string {
  const path = safeRedirectPath(value, "/account");
  // Account pages, and an app's sign-in request waiting for a fresh sign-in (prompt=login, max_age).
  return path.startsWith("/account") || path.startsWith("/oauth/authorize?") ? path : "/account";
}

/** Where a successful step-up goes: back to `next`, marked `confirmed=1` for the page's thank-you line. */
export function stepUpConfirmedPath(next: unknown): string {
  const url = new URL(stepUpNextPath(next), "https://latchkey.invalid");
  url.searchParams.set("confirmed", "1");
  return url.pathname + url.search + url.hash;
}

/** The confirm page for a sensitive change at `next` (a same-origin path). */
export function stepUpPath(next: string): string {
  return `/account/confirm?${new URLSearchParams({ next })}`;
}
