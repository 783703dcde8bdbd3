/**
 * Email sign-in: sending the sign-in email (link + code) and redeeming either one for a session.
 * Sign-up is implicit: the account is created when its first link or code is redeemed, so requesting an
 * email looks and costs the same for known and unknown addresses (ENU-1). Every send and every guess is
 * rate-limited: per IP in KV first, then exactly in D1 per email and per code.
 */
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { Mailer } from "~/lib/mail/mailer.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { CODE_DIGITS, generateId, isWellFormedToken, keyedHash, sha256Hex } from "~/lib/crypto.server";
import { ipLimitSubject } from "~/lib/client-ip";
import { retryAfterSeconds } from "~/lib/rate-limit.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { renderSignInEmail } from "~/emails/sign-in-email";
import { recordAuthEvent, recordLimitHit } from "./events.server";
import { guessGate, sendGate, type GateDeps } from "./gates.server";
import {
  VERIFICATION_LIFETIME_MS,
  deleteVerificationToken,
  findTokenByHash,
  hashCode,
  issueVerificationToken,
  supersedeOlderTokens,
  tokenProblem,
  type TokenProblem,
} from "./verification.server";
import { prepareSessionStart, type SignInMethod, type SignInOutcome } from "./start-session.server";

export interface SignInDeps extends GateDeps {
  db: Database;
  config: AppConfig;
  mailer: Mailer;
  kv: KVNamespace;
  now: () => Date;
  waitUntil: (promise: Promise<unknown>) => void;
}

export type RateLimited = { ok: false; reason: "rate-limited"; retryAfterSeconds: number };

export type SendResult = { ok: true } | RateLimited | { ok: false; reason: "mail-failed" };

/**
 * Sends the sign-in email (link + code). Known and unknown addresses do the same D1 work before the
 * answer — one batch that issues the token and counts the global budget — so neither the answer nor its
 * timing says whether an account exists (ENU-1).
 */
export async function requestSignInEmail(
  deps: SignInDeps,
  { email, redirectTo, client, deviceId = null }: { email: string; redirectTo: string | null; client: ClientInfo; deviceId?: string | null },
): Promise<SendResult> {
  const { db, config, mailer, waitUntil } = deps;
  const now = deps.now();

  const ipGate = await sendGate(deps, client, email);
  if (!ipGate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: ipGate.retryAfterSeconds };

  const issued = await issueVerificationToken(
    db,
    config,
    { email, purpose: "sign-in", redirectTo: redirectTo && safeRedirectPath(redirectTo), requestIp: client.ip },
    now,
    { deviceHash: deviceId ? await sha256Hex(deviceId) : null, globalBudget: true },
  );
  if (!issued.ok) {
    recordLimitHit(deps, { limit: "email-sends", subject: email, windowMs: config.limits.emailSends.windowMs, email, client });
    return { ok: false, reason: "rate-limited", retryAfterSeconds: issued.retryAfterSeconds };
  }
  const { id, knownDevice, deliverable } = issued.issued;
  const supersede = () => supersedeOlderTokens(db, { email, purpose: "sign-in", keepId: id, knownDevice }, now);

  // Not emailed: sign-up is off (or paused by the global budget) and no account has this address. The
  // token still exists, so limits and code guesses behave identically, but redeeming it can never
  // create the account.
  const deliver = async (): Promise<boolean> => {
    if (!deliverable) {
      await supersede();
      return true;
    }
    // Built from the configured origin, never from the request's Host (EM-4): a spoofed Host header
    // must not turn our email into a phishing link.
    const link = new URL("/auth/verify", config.appUrl);
    link.searchParams.set("token", issued.issued.token);
    const sent = await mailer.send(
      renderSignInEmail({
        to: email,
        link: link.href,
        code: issued.issued.code,
        expiresAt: issued.issued.expiresAt,
        lifetimeMinutes: VERIFICATION_LIFETIME_MS / 60_000,
      }),
    );
    if (!sent.ok) {
      // Nothing dangling (EM-3): the person never received this token, so it must not stay redeemable.
      console.error(`sign-in mail failed: ${sent.error}`);
      await deleteVerificationToken(db, id);
      recordAuthEvent(deps, { type: "email_failed", email, client });
      return false;
    }
    // Only after delivery, so a failed send doesn't also kill the link from an earlier email.
    await supersede();
    return true;
  };

  if (!config.allowSignup || !deliverable) {
    // Whether this address gets an email must not show in how long the answer takes: the provider call
    // (or its absence) happens after the response, at the price of not telling a known address that its
    // email failed.
    waitUntil(deliver());
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
function recordFirstFactor(deps: SignInDeps, outcome: SignInOutcome, { email, client }: { email: string; client: ClientInfo }) {
  if (outcome.kind === "session") {
    recordAuthEvent(deps, { type: "sign_in", detail: outcome.method, email, userId: outcome.userId, client });
  }
}

/**
 * The statements that create the user (if new) and start the session for whoever redeemed the token
 * this request stamps with the new session's id. They only act on that stamped row, so they run in the same D1
 * batch (one transaction) as the consuming UPDATE and do nothing if it matched nothing (docs/decisions/002).
 */
async function prepareSignIn(deps: SignInDeps, { client, previousSessionToken }: RedeemInput, method: SignInMethod, now: Date) {
  const d1 = deps.db.$client;
  const start = await prepareSessionStart(deps, { subject: { redeemedToken: true }, method, client, previousSessionToken }, now);
  // The redeeming statement stamps the token with the new session's id; everything after keys on it.
  const stamp = start.sessionId;
  const userUpsert = d1
    .prepare(
      `INSERT INTO users (id, email, email_verified_at, created_at)
       SELECT ?2, email, ?3, ?3 FROM verification_tokens
       WHERE session_id = ?1 AND (?4 OR EXISTS (SELECT 1 FROM users WHERE users.email = verification_tokens.email))
       ON CONFLICT (email) DO UPDATE SET email_verified_at = coalesce(users.email_verified_at, excluded.email_verified_at)`,
    )
    .bind(stamp, generateId("usr"), now.getTime(), deps.config.allowSignup ? 1 : 0);
  return { stamp, statements: [userUpsert, ...start.statements], readOutcome: start.readOutcome };
}

/** One log row per client (IPv4 address or IPv6 /64) and hour for a kind of junk submission. */
function refusalKey(deps: SignInDeps, kind: string, client: ClientInfo): Promise<string> {
  const hour = Math.floor(deps.now().getTime() / 3_600_000);
  return keyedHash(deps.config.sessionSecrets[0]!, "refusal", kind, ipLimitSubject(client.ip), String(hour)).then((hash) => `${kind}:${hash.slice(0, 32)}`);
}

/** Redeems the link from the email. Links aren't guessable, so only the per-IP gate applies. */
export async function redeemMagicLink(deps: SignInDeps, input: RedeemInput & { token: unknown }): Promise<RedeemResult> {
  const gate = await guessGate(deps, input.client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  if (!isWellFormedToken(input.token)) {
    recordAuthEvent(deps, { type: "link_refused", detail: "invalid", client: input.client, dedupeKey: refusalKey(deps, "link-invalid", input.client) });
    return { ok: false, reason: "invalid" };
  }
  const now = deps.now();
  const tokenHash = await sha256Hex(input.token);
  const { stamp, statements, readOutcome } = await prepareSignIn(deps, input, "link", now);

  const results = await deps.db.$client.batch([
    deps.db.$client
      .prepare(
        `UPDATE verification_tokens SET consumed_at = ?1, session_id = ?2
         WHERE token_hash = ?3 AND purpose = 'sign-in' AND consumed_at IS NULL AND superseded_at IS NULL AND expires_at > ?1
         RETURNING email, redirect_to`,
      )
      .bind(now.getTime(), stamp, tokenHash),
    ...statements,
  ]);
  const redeemed = (results[0]!.results as { email: string; redirect_to: string | null }[])[0];
  const outcome = redeemed ? readOutcome(results, 2, redeemed.redirect_to) : null;
  if (!redeemed || !outcome) {
    // (A consumed token without a user only happens with sign-up off and a token for an unknown
    // address, which was never emailed: "invalid" is the honest answer.)
    const row = redeemed ? undefined : await findTokenByHash(deps.db, tokenHash);
    const reason = (row && tokenProblem(row, now, Number.POSITIVE_INFINITY)) || "invalid";
    // Links nobody issued (malformed or made up) are counted on one row per client and hour.
    const dedupeKey = reason === "invalid" ? refusalKey(deps, "link-invalid", input.client) : undefined;
    recordAuthEvent(deps, { type: "link_refused", detail: reason, email: row?.email, client: input.client, dedupeKey });
    return { ok: false, reason };
  }
  recordFirstFactor(deps, outcome, { email: redeemed.email, client: input.client });
  return { ok: true, outcome };
}

export function isWellFormedCode(code: unknown): code is string {
  return typeof code === "string" && new RegExp(`^\\d{${CODE_DIGITS}}$`).test(code);
}

/**
 * Redeems a typed code. One D1 batch either consumes the live code for this email (when it matches),
 * or counts a wrong guess against it and against the account's cool-down. Each counter is incremented
 * in the statement that checks it, so parallel guesses can't exceed the limits (TOK-5, RL-3). A code
 * that matches an older, used or expired one for this email is not a guess and isn't counted, and
 * guesses while no code is live (burned, expired) count nowhere: they can't succeed.
 */
export async function redeemCode(
  deps: SignInDeps,
  input: RedeemInput & { email: string; code: string },
): Promise<RedeemResult> {
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
  const { stamp, statements, readOutcome } = await prepareSignIn(deps, input, "code", now);
  const params = [email, now.getTime(), codeMaxAttempts, codeHash, stamp];
  const live = `email = ?1 AND purpose = 'sign-in' AND consumed_at IS NULL AND superseded_at IS NULL AND expires_at > ?2 AND attempts < ?3`;
  const notLocked = `NOT EXISTS (SELECT 1 FROM code_lockouts WHERE email = ?1 AND locked_until > ?2)`;
  const notAnyOfOurCodes = `NOT EXISTS (SELECT 1 FROM verification_tokens WHERE email = ?1 AND purpose = 'sign-in' AND code_hash = ?4)`;
  const d1 = db.$client;

  const results = await d1.batch([
    d1
      .prepare(`UPDATE verification_tokens SET consumed_at = ?2, session_id = ?5 WHERE ${live} AND code_hash = ?4 AND ${notLocked} RETURNING redirect_to`)
      .bind(...params.slice(0, 5)),
    // A wrong guess against a live code counts against that code, stamped with this request's id…
    d1
      .prepare(
        `UPDATE verification_tokens SET attempts = attempts + 1, last_guess_id = ?5
         WHERE ${live} AND ${notLocked} AND ${notAnyOfOurCodes} RETURNING attempts`,
      )
      .bind(...params.slice(0, 5)),
    // …and, exactly when it did, against the address's cool-down window.
    countCodeFailure(d1, config, { email, at: now.getTime(), guessId: stamp }),
    ...statements,
  ]);

  const redeemed = (results[0]!.results as { redirect_to: string | null }[])[0];
  const outcome = redeemed ? readOutcome(results, 4, redeemed.redirect_to) : null;
  if (outcome) {
    recordFirstFactor(deps, outcome, { email, client });
    return { ok: true, outcome };
  }
  if (redeemed) {
    // Consumed but no account: sign-up is off and this token was never emailed (see prepareSignIn).
    recordAuthEvent(deps, { type: "code_refused", detail: "invalid", email, client });
    return { ok: false, reason: "invalid" };
  }

  const attempts = (results[1]!.results as { attempts: number }[])[0]?.attempts;
  const lockout = (results[2]!.results as { failures: number; locked_until: number | null }[])[0];
  if (lockout?.locked_until && lockout.locked_until > now.getTime()) {
    recordAuthEvent(deps, { type: "code_lockout", detail: `${lockout.failures} failures`, email, client, attributeToEmailOwner: true });
    return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockout.locked_until, now) };
  }
  if (attempts !== undefined) {
    const attemptsLeft = codeMaxAttempts - attempts;
    recordAuthEvent(deps, { type: attemptsLeft > 0 ? "code_failed" : "code_burned", email, client, attributeToEmailOwner: true });
    return attemptsLeft > 0 ? { ok: false, reason: "wrong-code", attemptsLeft } : { ok: false, reason: "burned" };
  }
  const reason = await whyCodeRefused(db, { email, codeHash, maxAttempts: codeMaxAttempts }, now);
  recordAuthEvent(deps, { type: "code_refused", detail: reason, email, client, attributeToEmailOwner: true });
  return { ok: false, reason };
}

/** When the address's code cool-down ends, if it is on now. */
export async function codeLockedUntil(db: Database, email: string, now: Date): Promise<number | null> {
  const row = await db.$client
    .prepare(`SELECT locked_until FROM code_lockouts WHERE email = ?1 AND locked_until > ?2`)
    .bind(email, now.getTime())
    .first<{ locked_until: number }>();
  return row?.locked_until ?? null;
}

/**
 * Counts one wrong emailed code (sign-in or step-up) against the address's cool-down window (RL-3), but
 * only if an earlier statement of the same batch stamped a live token with `guessId`: exactly the guesses
 * that counted against a code count here. LIMIT_CODE_FAILURES in the window pauses code entry for
 * CODE_COOLDOWN_SECONDS. Returns `failures, locked_until`.
 */
export function countCodeFailure(d1: D1Database, config: AppConfig, { email, at, guessId }: { email: string; at: number; guessId: string }) {
  const { codeFailures, codeCooldownMs } = config.limits;
  const newWindow = `window_started_at <= ?2 - ?5`;
  return d1
    .prepare(
      `INSERT INTO code_lockouts (email, failures, window_started_at, locked_until)
       SELECT ?1, 1, ?2, CASE WHEN 1 >= ?4 THEN ?2 + ?6 END
       WHERE EXISTS (SELECT 1 FROM verification_tokens WHERE email = ?1 AND last_guess_id = ?3)
       ON CONFLICT (email) DO UPDATE SET
         failures = CASE WHEN ${newWindow} THEN 1 ELSE failures + 1 END,
         window_started_at = CASE WHEN ${newWindow} THEN ?2 ELSE window_started_at END,
         locked_until = CASE WHEN (CASE WHEN ${newWindow} THEN 1 ELSE failures + 1 END) >= ?4 THEN ?2 + ?6 ELSE locked_until END
       RETURNING failures, locked_until`,
    )
    .bind(email, at, guessId, codeFailures.limit, codeFailures.windowMs, codeCooldownMs);
}

/** For a code that was neither accepted nor counted: the state of the token it belongs to, if any. */
async function whyCodeRefused(
  db: Database,
  { email, codeHash, maxAttempts }: { email: string; codeHash: string; maxAttempts: number },
  now: Date,
): Promise<TokenProblem> {
  // The token this code came from, or else the newest one for this email.
  const row = await db.$client
    .prepare(
      `SELECT consumed_at, superseded_at, expires_at, attempts FROM verification_tokens
       WHERE email = ?1 AND purpose = 'sign-in'
       ORDER BY code_hash = ?2 DESC, created_at DESC LIMIT 1`,
    )
    .bind(email, codeHash)
    .first<{ consumed_at: number | null; superseded_at: number | null; expires_at: number; attempts: number }>();
  if (!row) return "invalid";
  const problem = tokenProblem(
    {
      consumedAt: row.consumed_at === null ? null : new Date(row.consumed_at),
      supersededAt: row.superseded_at === null ? null : new Date(row.superseded_at),
      expiresAt: new Date(row.expires_at),
      attempts: row.attempts,
    },
    now,
    maxAttempts,
  );
  return problem ?? "invalid";
}
