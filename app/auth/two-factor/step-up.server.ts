/**
 * Step-up ("confirm it's you", SES-5): turning 2FA on or off, replacing recovery codes, adding passkeys
 * and deleting the account need a sign-in from the last ten minutes, or else proof again: a fresh code
 * emailed to the account, or, when 2FA is on, an authenticator or recovery code (an email code alone
 * would let whoever holds the mailbox and an old session cookie turn 2FA off), or a passkey.
 */
import type { Session, User } from "~/db/schema";
import { runBatch } from "~/db/batch.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateId } from "~/lib/crypto.server";
import { retryAfterSeconds } from "~/lib/rate-limit.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { renderNoticeEmail } from "~/emails/notice-email";
import { sql } from "drizzle-orm";
import { verificationTokens } from "~/db/schema";
import type { AuthDeps, RateLimited } from "../deps";
import { recordAuthEvent } from "../audit/events.server";
import { noticeDetails } from "../audit/notices.server";
import { codeLockedUntil, codesNotPaused, countCodeFailure } from "../email/code-lockouts.server";
import { issueEmailToken, sendTokenEmail } from "../email/send.server";
import { isWellFormedCode } from "../email/sign-in.server";
import { consumeCode, countWrongGuess, guessCounted, hashCode, VERIFICATION_LIFETIME_MS } from "../email/verification-tokens.server";
import { guessGate, sendGate } from "../gates.server";
import { markSessionAuthenticated } from "../session/sessions.server";
import { getTwoFactorStatus } from "./enrollment.server";
import { normalizeSecondFactorCode, proveSecondFactor, type SecondFactorKind } from "./proof.server";
import { countFailure, reportRecoveryCodeUse } from "./second-step.server";
import { readEnabledAuthenticator } from "./totp-credentials.server";
import type { StepUpContinuation } from "./continuations.server";

export const STEP_UP_WINDOW_MS = 10 * 60 * 1000;

/** True when this session proved who it is (sign-in or step-up) within the last ten minutes. */
export function isRecentlyAuthenticated(session: Pick<Session, "authenticatedAt" | "createdAt">, now: Date): boolean {
  const at = (session.authenticatedAt ?? session.createdAt).getTime();
  return now.getTime() - at < STEP_UP_WINDOW_MS;
}

/**
 * The confirm page for a sensitive change at `next` (a same-origin path); with `then`, confirming goes on
 * to make that change (continuations.server.ts) instead of returning to its button.
 */
export function stepUpPath(next: string, then?: StepUpContinuation): string {
  return `/account/confirm?${new URLSearchParams(then ? { next, then } : { next })}`;
}

/** Where step-up may return to: account pages, and an app's sign-in request waiting for a fresh sign-in. */
export function stepUpNextPath(value: unknown): string {
  const path = safeRedirectPath(value, "/account");
  return path.startsWith("/account") || path.startsWith("/oauth/authorize?") ? path : "/account";
}

/** Where a successful step-up goes: back to `next`, marked `confirmed=1` for the page's thank-you line. */
export function stepUpConfirmedPath(next: unknown): string {
  const url = new URL(stepUpNextPath(next), "https://latchkey.invalid");
  url.searchParams.set("confirmed", "1");
  return url.pathname + url.search + url.hash;
}

/** With 2FA on, step-up takes the second factor instead (see stepUpWithSecondFactor). */
async function hasTwoFactor(deps: Pick<AuthDeps, "db">, userId: string): Promise<boolean> {
  return (await getTwoFactorStatus(deps.db, userId)).enabled;
}

export async function sendStepUpCode(
  deps: AuthDeps,
  { user, client }: { user: Pick<User, "id" | "email">; client: ClientInfo },
): Promise<{ ok: true } | RateLimited | { ok: false; reason: "mail-failed" | "use-second-factor" }> {
  if (await hasTwoFactor(deps, user.id)) return { ok: false, reason: "use-second-factor" };
  const gate = await sendGate(deps, client, user.email);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const result = await issueEmailToken(deps, { email: user.email, purpose: "step-up", redirectTo: null, client });
  if (!result.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: result.retryAfterSeconds };
  const message = renderNoticeEmail({
    to: user.email,
    appUrl: deps.config.appUrl,
    theme: deps.config.theme,
    subject: `Your ${deps.config.theme.name} confirmation code`,
    heading: "Confirm it's you",
    paragraphs: [
      `Enter this code on your account page to confirm a security change: ${result.issued.code}`,
      `It works once and expires in ${VERIFICATION_LIFETIME_MS / 60_000} minutes. If you didn't ask for it, someone may be signed in to your account: open your account page and sign out everywhere else.`,
    ],
    details: noticeDetails(deps.now(), client),
  });
  const sent = await sendTokenEmail(deps, { issued: result.issued, email: user.email, purpose: "step-up", message, client });
  return sent ? { ok: true } : { ok: false, reason: "mail-failed" };
}

export type StepUpResult =
  | { ok: true }
  | { ok: false; reason: "malformed" | "no-code" | "use-second-factor" }
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  | { ok: false; reason: "wrong-code"; attemptsLeft: number }
  | RateLimited;

/**
 * Checks an emailed step-up code and, in the same batch, marks this session as freshly authenticated. A
 * wrong guess counts against the code (burned after CODE_MAX_ATTEMPTS) and against the address's
 * cool-down, exactly as sign-in codes do (RL-3).
 */
export async function confirmStepUp(
  deps: AuthDeps,
  { session, user, code, client }: { session: Pick<Session, "id">; user: Pick<User, "id" | "email">; code: string; client: ClientInfo },
): Promise<StepUpResult> {
  const gate = await guessGate(deps, client, user.email);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  if (await hasTwoFactor(deps, user.id)) return { ok: false, reason: "use-second-factor" };
  const digits = code.replace(/[\s-]/g, "");
  if (!isWellFormedCode(digits)) return { ok: false, reason: "malformed" };

  const { db, config } = deps;
  const now = deps.now();
  const lockedUntil = await codeLockedUntil(db, user.email, now);
  if (lockedUntil) return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockedUntil, now) };
  const max = config.limits.codeMaxAttempts;
  const stamp = generateId("guess");
  const guess = {
    email: user.email,
    purpose: "step-up" as const,
    codeHash: await hashCode(config, { email: user.email, purpose: "step-up", code: digits }),
    now,
    maxAttempts: max,
    stamp,
    when: codesNotPaused(user.email, now),
  };
  const consumedHere = sql`EXISTS (SELECT 1 FROM ${verificationTokens} WHERE ${verificationTokens.sessionId} = ${stamp} AND ${verificationTokens.purpose} = 'step-up')`;
  const results = await runBatch(db, {
    consumed: consumeCode(db, guess),
    wrong: countWrongGuess(db, guess),
    lockout: countCodeFailure(db, config, { email: user.email, now, counted: guessCounted(user.email, stamp) }),
    confirmed: markSessionAuthenticated(db, { id: session.id, userId: user.id, now, when: consumedHere }),
  });
  if (results.confirmed.length === 1) {
    recordAuthEvent(deps, { type: "step_up", userId: user.id, client });
    return { ok: true };
  }
  recordAuthEvent(deps, { type: "step_up_failed", userId: user.id, client });
  const lockout = results.lockout[0];
  if (lockout?.locked_until && lockout.locked_until > now.getTime()) {
    recordAuthEvent(deps, { type: "code_lockout", detail: `${lockout.failures} failures`, email: user.email, userId: user.id, client });
    return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockout.locked_until, now) };
  }
  const attempts = results.wrong[0]?.attempts;
  if (attempts === undefined) return { ok: false, reason: "no-code" };
  const attemptsLeft = max - attempts;
  return attemptsLeft > 0 ? { ok: false, reason: "wrong-code", attemptsLeft } : { ok: false, reason: "no-code" };
}

export type StepUpWithSecondFactorResult =
  | { ok: true }
  | { ok: false; reason: "secret-unreadable" }
  | { ok: false; reason: "malformed" | "wrong-code" | "replayed"; kind: SecondFactorKind }
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  | RateLimited;

/**
 * Step-up for an account with 2FA on: an authenticator or recovery code, not an email code. The session
 * is marked freshly authenticated only if the code is still usable when the batch runs; then it's spent.
 */
export async function stepUpWithSecondFactor(
  deps: AuthDeps,
  { sessionId, userId, email, kind, code: typed, client }: { sessionId: string; userId: string; email: string; kind: SecondFactorKind; code: string; client: ClientInfo },
): Promise<StepUpWithSecondFactorResult> {
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const code = normalizeSecondFactorCode(kind, typed);
  if (!code) return { ok: false, reason: "malformed", kind };
  const { db } = deps;
  const now = deps.now();
  const [row] = await readEnabledAuthenticator(db, userId);
  if (!row) return { ok: false, reason: "wrong-code", kind };
  if (kind === "totp" && row.lockedUntil && row.lockedUntil > now) {
    return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(row.lockedUntil.getTime(), now) };
  }
  const proved = await proveSecondFactor(deps, { userId, kind, code, sealed: row.sealed, lastUsedStep: row.lastUsedStep, now });
  if (!proved.proof && proved.why === "unreadable") return { ok: false, reason: "secret-unreadable" };
  if (proved.proof) {
    const { confirmed } = await runBatch(db, {
      confirmed: markSessionAuthenticated(db, { id: sessionId, userId, now, when: proved.proof.holds(userId) }),
      spent: proved.proof.spend(db, userId),
    });
    if (confirmed.length === 1) {
      recordAuthEvent(deps, { type: "step_up", detail: kind, userId, client });
      if (kind === "recovery") await reportRecoveryCodeUse(deps, { userId, email, client });
      return { ok: true };
    }
  }
  recordAuthEvent(deps, { type: "step_up_failed", detail: kind, userId, client });
  const lockedUntil = kind === "totp" ? await countFailure(deps, userId, now) : null;
  if (lockedUntil) return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockedUntil, now) };
  // A TOTP proof that lost its batch was spent by a parallel request; a recovery code can't be told apart.
  const replayed = (!proved.proof && proved.why === "replayed") || (proved.proof !== null && kind === "totp");
  return { ok: false, reason: replayed ? "replayed" : "wrong-code", kind };
}
