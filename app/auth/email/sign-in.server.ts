/**
 * Email sign-in: sending the sign-in email (link + code) and redeeming either one for a session. Sign-up
 * is implicit: the account is created when its first link or code is redeemed, so requesting an email
 * looks and costs the same for known and unknown addresses (ENU-1). Every send and every guess is
 * rate-limited: per client first (gates), then exactly in D1 per address and per code.
 */
import { runBatch } from "~/db/batch.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { ipLimitSubject } from "~/lib/client-ip";
import { CODE_DIGITS, generateId, isWellFormedToken, keyedHash, sha256Hex } from "~/lib/crypto.server";
import { retryAfterSeconds } from "~/lib/rate-limit.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { renderSignInEmail } from "~/emails/sign-in-email";
import type { AuthDeps, RateLimited } from "../deps";
import { recordAuthEvent, recordLimitHit } from "../audit/events.server";
import { guessGate, sendGate } from "../gates.server";
import { prepareSessionStart, type SignInMethod, type SignInOutcome } from "../session/start.server";
import { upsertVerifiedUser } from "../users/users.server";
import { codeLockedUntil, codesNotPaused, countCodeFailure } from "./code-lockouts.server";
import { issueEmailToken, sendTokenEmail } from "./send.server";
import {
  VERIFICATION_LIFETIME_MS,
  consumeCode,
  consumeLinkToken,
  countWrongGuess,
  emailRedeemedBy,
  guessCounted,
  hashCode,
  redeemedBy,
  whyCodeRefused,
  whyLinkRefused,
  type TokenProblem,
} from "./verification-tokens.server";

export type SendResult = { ok: true } | RateLimited | { ok: false; reason: "mail-failed" };

/**
 * Sends the sign-in email (link + code). Known and unknown addresses do the same D1 work before the
 * answer — one batch that issues the token and counts the global budget — so neither the answer nor its
 * timing says whether an account exists (ENU-1).
 */
export async function requestSignInEmail(
  deps: AuthDeps,
  { email, redirectTo, client, deviceId = null }: { email: string; redirectTo: string | null; client: ClientInfo; deviceId?: string | null },
): Promise<SendResult> {
  const { config } = deps;
  const gate = await sendGate(deps, client, email);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };

  const result = await issueEmailToken(deps, {
    email,
    purpose: "sign-in",
    redirectTo: redirectTo && safeRedirectPath(redirectTo),
    client,
    deviceId,
    globalBudget: true,
  });
  if (!result.ok) {
    recordLimitHit(deps, { limit: "email-sends", subject: email, windowMs: config.limits.emailSends.windowMs, email, client });
    return { ok: false, reason: "rate-limited", retryAfterSeconds: result.retryAfterSeconds };
  }
  const { issued } = result;
  // Built from the configured origin, never from the request's Host (EM-4): a spoofed Host header
  // must not turn our email into a phishing link.
  const link = new URL("/auth/verify", config.appUrl);
  link.searchParams.set("token", issued.token);
  // Not emailed: sign-up is off (or paused by the global budget) and no account has this address. The
  // token still exists, so limits and code guesses behave identically, but redeeming it can never
  // create the account.
  const message = issued.deliverable
    ? renderSignInEmail({ to: email, link: link.href, code: issued.code, expiresAt: issued.expiresAt, lifetimeMinutes: VERIFICATION_LIFETIME_MS / 60_000, theme: config.theme })
    : null;
  const deliver = () => sendTokenEmail(deps, { issued, email, purpose: "sign-in", message, client });

  if (!config.allowSignup || !issued.deliverable) {
    // Whether this address gets an email must not show in how long the answer takes: the provider call
    // (or its absence) happens after the response, at the price of not telling a known address that its
    // email failed.
    deps.waitUntil(deliver());
    return { ok: true };
  }
  return (await deliver()) ? { ok: true } : { ok: false, reason: "mail-failed" };
}

export type RedeemResult =
  | { ok: true; outcome: SignInOutcome }
  | { ok: false; reason: TokenProblem }
  | { ok: false; reason: "wrong-code"; attemptsLeft: number }
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  | RateLimited;

interface RedeemInput {
  client: ClientInfo;
  previousSessionToken: string | null;
}

/** A full sign-in is logged as such; one waiting for its second step is logged when that completes. */
function recordFirstFactor(deps: AuthDeps, outcome: SignInOutcome, { email, client }: { email: string; client: ClientInfo }) {
  if (outcome.kind === "session") {
    recordAuthEvent(deps, { type: "sign_in", detail: outcome.method, email, userId: outcome.userId, client });
  }
}

/**
 * The statements that create the user (if new) and start the session for whoever redeemed the token
 * this request stamps with the new session's id. They only act on that stamped row, so they run in the
 * same D1 batch (one transaction) as the consuming UPDATE and do nothing if it matched nothing
 * (decision 002).
 */
async function prepareRedemption(deps: AuthDeps, { client, previousSessionToken }: RedeemInput, method: SignInMethod, now: Date) {
  const start = await prepareSessionStart(deps, { subject: redeemedBy, method, client, previousSessionToken }, now);
  const stamp = start.sessionId;
  return {
    stamp,
    statements: {
      user: upsertVerifiedUser(deps.db, emailRedeemedBy(stamp), { newId: generateId("usr"), at: now, allowSignup: deps.config.allowSignup }),
      ...start.statements,
    },
    readOutcome: start.readOutcome,
  };
}

/** One log row per client (IPv4 address or IPv6 /64) and hour for a kind of junk submission. */
function refusalKey(deps: AuthDeps, kind: string, client: ClientInfo): Promise<string> {
  const hour = Math.floor(deps.now().getTime() / 3_600_000);
  return keyedHash(deps.config.sessionSecrets[0]!, "refusal", kind, ipLimitSubject(client.ip), String(hour)).then((hash) => `${kind}:${hash.slice(0, 32)}`);
}

/** Redeems the link from the email. Links aren't guessable, so only the per-client gate applies. */
export async function redeemMagicLink(deps: AuthDeps, input: RedeemInput & { token: unknown }): Promise<RedeemResult> {
  const { client } = input;
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  if (!isWellFormedToken(input.token)) {
    recordAuthEvent(deps, { type: "link_refused", detail: "invalid", client, dedupeKey: refusalKey(deps, "link-invalid", client) });
    return { ok: false, reason: "invalid" };
  }
  const now = deps.now();
  const tokenHash = await sha256Hex(input.token);
  const { stamp, statements, readOutcome } = await prepareRedemption(deps, input, "link", now);
  const results = await runBatch(deps.db, {
    consumed: consumeLinkToken(deps.db, { tokenHash, purpose: "sign-in", now, stamp }),
    ...statements,
  });
  const redeemed = results.consumed[0];
  const outcome = redeemed ? readOutcome(results, redeemed.redirectTo) : null;
  if (redeemed && outcome) {
    recordFirstFactor(deps, outcome, { email: redeemed.email, client });
    return { ok: true, outcome };
  }
  // (A consumed token without a user only happens with sign-up off and a token for an unknown address,
  // which was never emailed: "invalid" is the honest answer.)
  const { reason, email } = redeemed ? { reason: "invalid" as const, email: redeemed.email } : await whyLinkRefused(deps.db, { tokenHash, purpose: "sign-in", now });
  // Links nobody issued (malformed or made up) are counted on one row per client and hour.
  const dedupeKey = reason === "invalid" ? refusalKey(deps, "link-invalid", client) : undefined;
  recordAuthEvent(deps, { type: "link_refused", detail: reason, email, client, dedupeKey });
  return { ok: false, reason };
}

export function isWellFormedCode(code: unknown): code is string {
  return typeof code === "string" && new RegExp(`^\\d{${CODE_DIGITS}}$`).test(code);
}

/**
 * Redeems a typed code. One D1 batch either consumes the live code for this email (when it matches), or
 * counts a wrong guess against it and against the address's cool-down. Each counter is incremented in
 * the statement that checks it, so parallel guesses can't exceed the limits (TOK-5, RL-3). A code that
 * matches an older, used or expired one for this email is not a guess and isn't counted, and guesses
 * while no code is live (burned, expired) count nowhere: they can't succeed.
 */
export async function redeemCode(deps: AuthDeps, input: RedeemInput & { email: string; code: string }): Promise<RedeemResult> {
  const { db, config } = deps;
  const { email, client } = input;
  const gate = await guessGate(deps, client, email);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };

  const now = deps.now();
  const lockedUntil = await codeLockedUntil(db, email, now);
  if (lockedUntil) {
    recordAuthEvent(deps, { type: "code_refused", detail: "locked", email, client, attributeToEmailOwner: true });
    return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockedUntil, now) };
  }

  const { codeMaxAttempts } = config.limits;
  const codeHash = await hashCode(config, { email, purpose: "sign-in", code: input.code });
  const { stamp, statements, readOutcome } = await prepareRedemption(deps, input, "code", now);
  const guess = { email, purpose: "sign-in" as const, codeHash, now, maxAttempts: codeMaxAttempts, stamp, when: codesNotPaused(email, now) };
  const results = await runBatch(db, {
    consumed: consumeCode(db, guess),
    // A wrong guess against a live code counts against that code, stamped with this request…
    wrong: countWrongGuess(db, guess),
    // …and, exactly when it did, against the address's cool-down window.
    lockout: countCodeFailure(db, config, { email, now, counted: guessCounted(email, stamp) }),
    ...statements,
  });

  const redeemed = results.consumed[0];
  const outcome = redeemed ? readOutcome(results, redeemed.redirectTo) : null;
  if (outcome) {
    recordFirstFactor(deps, outcome, { email, client });
    return { ok: true, outcome };
  }
  if (redeemed) {
    // Consumed but no account: sign-up is off and this token was never emailed (see prepareRedemption).
    recordAuthEvent(deps, { type: "code_refused", detail: "invalid", email, client });
    return { ok: false, reason: "invalid" };
  }
  const lockout = results.lockout[0];
  if (lockout?.locked_until && lockout.locked_until > now.getTime()) {
    recordAuthEvent(deps, { type: "code_lockout", detail: `${lockout.failures} failures`, email, client, attributeToEmailOwner: true });
    return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockout.locked_until, now) };
  }
  const attempts = results.wrong[0]?.attempts;
  if (attempts !== undefined) {
    const attemptsLeft = codeMaxAttempts - attempts;
    recordAuthEvent(deps, { type: attemptsLeft > 0 ? "code_failed" : "code_burned", email, client, attributeToEmailOwner: true });
    return attemptsLeft > 0 ? { ok: false, reason: "wrong-code", attemptsLeft } : { ok: false, reason: "burned" };
  }
  const reason = await whyCodeRefused(db, { email, purpose: "sign-in", codeHash, maxAttempts: codeMaxAttempts, now });
  recordAuthEvent(deps, { type: "code_refused", detail: reason, email, client, attributeToEmailOwner: true });
  return { ok: false, reason };
}
