/**
 * Authenticator-app two-factor authentication: enrollment (a secret confirmed with a code before it
 * counts), recovery codes, turning it off, and the second sign-in step. Every state change that must
 * not happen twice (a TOTP step, a recovery code, a pending sign-in) is one conditional statement in a
 * D1 batch, so two parallel requests can never both succeed.
 */
import type { AppConfig } from "~/lib/env.server";
import type { Database } from "~/lib/db.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateToken, sha256Hex } from "~/lib/crypto.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { recordAuthEvent } from "./events.server";
import { sendSecurityNotice } from "./notices.server";
import { type SignInDeps } from "./sign-in.server";
import { guessGate } from "./gates.server";
import { retryAfterSeconds } from "~/lib/rate-limit.server";
import { bindNumbered, linkIdentityWhere, type IdentityLink, type SignInOutcome } from "./start-session.server";
import { reportIdentityLinked } from "./identities.server";
import { issueNoticeLinkToken } from "./verification.server";
import { SIGN_OUT_LINK_LIFETIME_MS } from "./devices.server";
import {
  decryptTotpSecret,
  encryptTotpSecret,
  formatSecretForManualEntry,
  generateRecoveryCodes,
  generateTotpSecret,
  matchTotpStep,
  normalizeRecoveryCode,
  qrCodePath,
  totpUri,
} from "./totp.server";

/** The same dependencies as sign-in: db, config, mailer, KV, clock, waitUntil. */
export type TwoFactorDeps = SignInDeps;

/** Wrong codes allowed per pending sign-in before it has to start over. */
export const SECOND_FACTOR_MAX_ATTEMPTS = 5;
/** An unconfirmed enrollment is thrown away after this long: the step-up window that allowed it. */
const ENROLLMENT_LIFETIME_MS = 10 * 60 * 1000;

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: Date | null;
  recoveryCodesLeft: number;
}

/** The status query and its reader, so a page can batch it with other reads (one D1 round trip). */
export function twoFactorStatusQuery(db: Database, userId: string) {
  const statement = db.$client
    .prepare(
      `SELECT t.enabled_at AS enabled_at,
         (SELECT count(*) FROM recovery_codes r WHERE r.user_id = ?1 AND r.used_at IS NULL) AS left
       FROM (SELECT 1) LEFT JOIN totp_credentials t ON t.user_id = ?1`,
    )
    .bind(userId);
  const read = (result: D1Result): TwoFactorStatus => {
    const row = (result.results as { enabled_at: number | null; left: number }[])[0];
    const enabledAt = row?.enabled_at ?? null;
    return { enabled: enabledAt !== null, enabledAt: enabledAt === null ? null : new Date(enabledAt), recoveryCodesLeft: row?.left ?? 0 };
  };
  return { statement, read };
}

export async function getTwoFactorStatus(db: Database, userId: string): Promise<TwoFactorStatus> {
  const query = twoFactorStatusQuery(db, userId);
  return query.read(await query.statement.all());
}

// --- enrollment ---------------------------------------------------------------------------------------

/** Starts (or restarts) an enrollment: a fresh secret, stored encrypted but not yet enabled. */
export async function beginTotpEnrollment(deps: TwoFactorDeps, { userId }: { userId: string }): Promise<{ ok: boolean }> {
  const secret = generateTotpSecret();
  const encrypted = await encryptTotpSecret(deps.config.totpEncryptionKeys, userId, secret);
  const row = await deps.db.$client
    .prepare(
      `INSERT INTO totp_credentials (user_id, encrypted_secret, created_at, enabled_at, last_used_step)
       VALUES (?1, ?2, ?3, NULL, 0)
       ON CONFLICT (user_id) DO UPDATE SET encrypted_secret = ?2, created_at = ?3, last_used_step = 0
         WHERE totp_credentials.enabled_at IS NULL
       RETURNING user_id`,
    )
    .bind(userId, encrypted, deps.now().getTime())
    .first();
  // No row: 2FA is already on, and an enabled secret is never replaced this way.
  return { ok: row !== null };
}

export interface EnrollmentView {
  manualKey: string;
  uri: string;
  qr: { size: number; path: string };
}

/** What the enrollment page shows: the pending secret as a QR code and as text, or null if none. */
export async function getPendingEnrollment(
  deps: Pick<TwoFactorDeps, "db" | "config" | "now">,
  { userId, email }: { userId: string; email: string },
): Promise<EnrollmentView | null> {
  const row = await deps.db.$client
    .prepare(`SELECT encrypted_secret, created_at FROM totp_credentials WHERE user_id = ?1 AND enabled_at IS NULL`)
    .bind(userId)
    .first<{ encrypted_secret: string; created_at: number }>();
  if (!row || row.created_at <= deps.now().getTime() - ENROLLMENT_LIFETIME_MS) return null;
  const secret = await readTotpSecret(deps, userId, row.encrypted_secret);
  if (!secret) return null;
  const uri = totpUri(secret, { issuer: issuerName(deps.config), account: email });
  return { manualKey: formatSecretForManualEntry(secret), uri, qr: qrCodePath(uri) };
}

/** The name authenticator apps list the account under: "Latchkey (auth.example.com)". */
function issuerName(config: AppConfig): string {
  return `Latchkey (${new URL(config.appUrl).host})`;
}

export type ConfirmEnrollmentResult =
  | { ok: true; recoveryCodes: string[] }
  | { ok: false; reason: "no-enrollment" | "wrong-code" }
  | { ok: false; reason: "rate-limited"; retryAfterSeconds: number };

/** Turns 2FA on once the person proves their app has the secret, and issues the recovery codes. */
export async function confirmTotpEnrollment(
  deps: TwoFactorDeps,
  { userId, email, sessionId, code, client }: { userId: string; email: string; sessionId: string; code: string; client: ClientInfo },
): Promise<ConfirmEnrollmentResult> {
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const now = deps.now();
  const row = await deps.db.$client
    .prepare(`SELECT encrypted_secret, created_at FROM totp_credentials WHERE user_id = ?1 AND enabled_at IS NULL`)
    .bind(userId)
    .first<{ encrypted_secret: string; created_at: number }>();
  if (!row || row.created_at <= now.getTime() - ENROLLMENT_LIFETIME_MS) return { ok: false, reason: "no-enrollment" };
  const secret = await readTotpSecret(deps, userId, row.encrypted_secret);
  if (!secret) return { ok: false, reason: "no-enrollment" };
  const step = matchTotpStep(secret, code, now);
  if (step === null) {
    recordAuthEvent(deps, { type: "two_factor_failed", detail: "enrollment", userId, client });
    return { ok: false, reason: "wrong-code" };
  }

  const d1 = deps.db.$client;
  const codes = generateRecoveryCodes();
  const at = now.getTime();
  // Sealed again with a fresh IV: a value only this request knows, so the statements after the UPDATE
  // act only if it was this request that turned 2FA on (a double submit can't replace the codes shown).
  const resealed = await encryptTotpSecret(deps.config.totpEncryptionKeys, userId, secret);
  const mine = `EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = ?1 AND encrypted_secret = ?4)`;
  const results = await d1.batch([
    // The confirming code's step counts as used: it can't sign anyone in afterwards.
    d1
      .prepare(
        `UPDATE totp_credentials SET enabled_at = ?2, last_used_step = ?3, encrypted_secret = ?4
         WHERE user_id = ?1 AND enabled_at IS NULL AND encrypted_secret = ?5 AND created_at > ?6 RETURNING user_id`,
      )
      .bind(userId, at, step, resealed, row.encrypted_secret, at - ENROLLMENT_LIFETIME_MS),
    d1.prepare(`DELETE FROM recovery_codes WHERE user_id = ?1 AND ${mine}`).bind(userId, at, null, resealed),
    ...(await recoveryCodeInserts(d1, userId, codes, at, mine, resealed)),
    // Every other session and pending sign-in ends: from now on each needs the second factor, and a
    // session that didn't pass it (an intruder's, say) must not outlive the change.
    bindNumbered(d1, `DELETE FROM sessions WHERE user_id = ?1 AND id <> ?3 AND ${mine}`, [userId, at, sessionId, resealed]),
    bindNumbered(d1, `DELETE FROM pending_sign_ins WHERE user_id = ?1 AND ${mine}`, [userId, at, null, resealed]),
  ]);
  if (!(results[0]!.results as unknown[]).length) return { ok: false, reason: "no-enrollment" };

  recordAuthEvent(deps, { type: "two_factor_enabled", userId, client });
  // Its own "I didn't do this" link: ends every session and removes this authenticator again.
  const notMe = await issueNoticeLinkToken(
    deps.db,
    { email, purpose: "sign-out-everywhere", lifetimeMs: SIGN_OUT_LINK_LIFETIME_MS, eventAt: now },
    now,
  );
  const notMeUrl = new URL("/auth/not-me", deps.config.appUrl);
  notMeUrl.searchParams.set("token", notMe.token);
  sendSecurityNotice(deps, client, {
    to: email,
    subject: "Two-factor authentication is on",
    heading: "Two-factor authentication was turned on",
    paragraphs: [
      "Signing in to your Latchkey account now also needs a code from your authenticator app (or one of your recovery codes). Your other sessions were signed out.",
      "If you didn't do this, use the link below: it signs your account out everywhere and removes the authenticator that was added. Then secure your email account.",
    ],
    action: {
      label: "I didn't do this — undo it and sign out everywhere",
      url: notMeUrl.href,
      note: "The link works once, for 7 days.",
    },
  });
  return { ok: true, recoveryCodes: codes };
}

/** One INSERT per code, each only if `condition` (which may use ?1 user, ?2 time, ?4 `marker`) holds. */
async function recoveryCodeInserts(d1: D1Database, userId: string, codes: string[], at: number, condition: string, marker: string | null = null) {
  return Promise.all(
    codes.map(async (code) =>
      bindNumbered(d1, `INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT ?1, ?3, ?2 WHERE ${condition}`, [
        userId,
        at,
        await sha256Hex(normalizeRecoveryCode(code)!),
        marker,
      ]),
    ),
  );
}

// --- changes that need a recent sign-in (the route checks it) ------------------------------------------

export async function disableTwoFactor(
  deps: TwoFactorDeps,
  { userId, email, client }: { userId: string; email: string; client: ClientInfo },
): Promise<{ ok: boolean }> {
  const d1 = deps.db.$client;
  const [removed] = await d1.batch([
    d1.prepare(`DELETE FROM totp_credentials WHERE user_id = ?1 AND enabled_at IS NOT NULL RETURNING user_id`).bind(userId),
    d1.prepare(`DELETE FROM recovery_codes WHERE user_id = ?1`).bind(userId),
    // Sign-ins waiting for a second step could never finish now.
    d1.prepare(`DELETE FROM pending_sign_ins WHERE user_id = ?1`).bind(userId),
  ]);
  if (!(removed!.results as unknown[]).length) return { ok: false };
  recordAuthEvent(deps, { type: "two_factor_disabled", userId, client });
  sendSecurityNotice(deps, client, {
    to: email,
    subject: "Two-factor authentication is off",
    heading: "Two-factor authentication was turned off",
    paragraphs: [
      "Signing in to your Latchkey account no longer asks for an authenticator code, and your recovery codes no longer work.",
      "If you didn't do this, sign in now, sign out everywhere from your account page, and turn it back on.",
    ],
  });
  return { ok: true };
}

export async function regenerateRecoveryCodes(
  deps: TwoFactorDeps,
  { userId, email, client }: { userId: string; email: string; client: ClientInfo },
): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false }> {
  const d1 = deps.db.$client;
  const codes = generateRecoveryCodes();
  const at = deps.now().getTime();
  const enabled = `EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = ?1 AND enabled_at IS NOT NULL)`;
  const results = await d1.batch([
    d1.prepare(`DELETE FROM recovery_codes WHERE user_id = ?1`).bind(userId),
    ...(await recoveryCodeInserts(d1, userId, codes, at, enabled)),
  ]);
  if (results.slice(1).some((r) => r.meta.changes !== 1)) return { ok: false };
  recordAuthEvent(deps, { type: "recovery_codes_generated", userId, client });
  sendSecurityNotice(deps, client, {
    to: email,
    subject: "New recovery codes",
    heading: "Your recovery codes were replaced",
    paragraphs: [
      "New recovery codes were generated for your Latchkey account. The old ones no longer work.",
      "If you didn't do this, sign in, sign out everywhere from your account page, and generate new codes.",
    ],
  });
  return { ok: true, recoveryCodes: codes };
}

// --- the second sign-in step --------------------------------------------------------------------------

export interface PendingSignIn {
  userId: string;
  email: string;
  method: string;
  attemptsLeft: number;
  recoveryCodesLeft: number;
}

/** The pending sign-in behind a 2FA cookie, if it can still be completed. Read-only. */
export async function findPendingSignIn(
  deps: Pick<TwoFactorDeps, "db" | "now">,
  pendingToken: string | null,
): Promise<PendingSignIn | null> {
  if (!pendingToken) return null;
  const row = await deps.db.$client
    .prepare(
      `SELECT p.user_id, p.method, p.attempts, u.email,
         (SELECT count(*) FROM recovery_codes r WHERE r.user_id = p.user_id AND r.used_at IS NULL) AS left
       FROM pending_sign_ins p JOIN users u ON u.id = p.user_id
       WHERE p.id = ?1 AND p.completed_at IS NULL AND p.expires_at > ?2 AND p.attempts < ?3`,
    )
    .bind(await sha256Hex(pendingToken), deps.now().getTime(), SECOND_FACTOR_MAX_ATTEMPTS)
    .first<{ user_id: string; method: string; attempts: number; email: string; left: number }>();
  if (!row) return null;
  return {
    userId: row.user_id,
    email: row.email,
    method: row.method,
    attemptsLeft: SECOND_FACTOR_MAX_ATTEMPTS - row.attempts,
    recoveryCodesLeft: row.left,
  };
}

export type SecondFactorKind = "totp" | "recovery";

export type SecondFactorResult =
  | { ok: true; outcome: SignInOutcome & { kind: "session" }; usedRecoveryCode: boolean }
  | { ok: false; reason: "expired" | "secret-unreadable" }
  | { ok: false; reason: "malformed"; kind: SecondFactorKind }
  | { ok: false; reason: "wrong-code" | "replayed"; kind: SecondFactorKind; attemptsLeft: number }
  | { ok: false; reason: "locked" | "rate-limited"; retryAfterSeconds: number };

/** A code as typed, or null if it can't be one: 6 digits for the app, 16 letters/digits for recovery. */
export function normalizeSecondFactorCode(kind: SecondFactorKind, code: string): string | null {
  if (kind === "recovery") return normalizeRecoveryCode(code);
  const digits = code.replace(/[\s-]/g, "");
  return /^\d{6}$/.test(digits) ? digits : null;
}

interface SecretRow {
  encrypted_secret: string;
  last_used_step: number;
}

/**
 * What a correct code proves, as SQL the state change re-checks atomically: `condition` holds while the
 * code is still usable (a newer TOTP step than the last accepted, or an unused recovery code, and the
 * account's second factor not paused), `spend` uses it up. Both take the user id as `userSql` and the
 * proof's value as ?5; ?2 is the time. Null for a wrong or replayed code.
 */
async function proveSecondFactor(
  deps: Pick<TwoFactorDeps, "config">,
  { userId, kind, code, row, now }: { userId: string; kind: SecondFactorKind; code: string; row: SecretRow; now: Date },
): Promise<{
  proof: { condition: (userSql: string) => string; spend: (userSql: string) => string; param: string | number } | null;
  replayed: boolean;
  unreadable?: boolean;
}> {
  const notPaused = (userSql: string) =>
    `NOT EXISTS (SELECT 1 FROM totp_credentials tl WHERE tl.user_id = ${userSql} AND tl.locked_until > ?2)`;
  if (kind === "totp") {
    const secret = await readTotpSecret(deps, userId, row.encrypted_secret);
    if (!secret) return { proof: null, replayed: false, unreadable: true };
    const step = matchTotpStep(secret, code, now);
    if (step === null) return { proof: null, replayed: false };
    if (step <= row.last_used_step) return { proof: null, replayed: true };
    return {
      replayed: false,
      proof: {
        param: step,
        condition: (userSql) =>
          `EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = ${userSql} AND t.enabled_at IS NOT NULL AND t.last_used_step < ?5) AND ${notPaused(userSql)}`,
        spend: (userSql) => `UPDATE totp_credentials SET last_used_step = ?5 WHERE user_id = ${userSql} AND last_used_step < ?5`,
      },
    };
  }
  return {
    replayed: false,
    proof: {
      param: await sha256Hex(code),
      // Not paused by the cool-down that wrong authenticator codes start: a recovery code carries ~79 bits,
      // so guessing is no threat, and it is how an owner gets in when someone else tripped the pause.
      condition: (userSql) => `EXISTS (SELECT 1 FROM recovery_codes r WHERE r.user_id = ${userSql} AND r.code_hash = ?5 AND r.used_at IS NULL)`,
      spend: (userSql) => `UPDATE recovery_codes SET used_at = ?2 WHERE user_id = ${userSql} AND code_hash = ?5 AND used_at IS NULL`,
    },
  };
}

/**
 * The stored authenticator secret, or null when no configured TOTP_ENCRYPTION_KEY opens it (a key was
 * replaced instead of rotated): the person can still get in with a recovery code, and the operator is told.
 */
async function readTotpSecret(deps: Pick<TwoFactorDeps, "config">, userId: string, sealed: string): Promise<Uint8Array | null> {
  try {
    return await decryptTotpSecret(deps.config.totpEncryptionKeys, userId, sealed);
  } catch (error) {
    console.error(`TOTP secret of ${userId} is unreadable (was TOTP_ENCRYPTION_KEY replaced instead of rotated?)`, error);
    return null;
  }
}

/**
 * Counts a wrong second-factor code against the account (RL-3): LIMIT_CODE_FAILURES in a window pauses
 * the second factor for CODE_COOLDOWN_SECONDS, across every pending sign-in, step-up and IP. One
 * statement, so parallel wrong codes are all counted.
 */
async function countSecondFactorFailure(deps: TwoFactorDeps, userId: string, now: Date): Promise<number | null> {
  const { codeFailures, codeCooldownMs } = deps.config.limits;
  const newWindow = `(failure_window_started_at IS NULL OR failure_window_started_at <= ?2 - ?4)`;
  const failures = `(CASE WHEN ${newWindow} THEN 1 ELSE failures + 1 END)`;
  const row = await deps.db.$client
    .prepare(
      `UPDATE totp_credentials SET
         failures = ${failures},
         failure_window_started_at = CASE WHEN ${newWindow} THEN ?2 ELSE failure_window_started_at END,
         locked_until = CASE WHEN ${failures} >= ?3 THEN ?2 + ?5 ELSE locked_until END
       WHERE user_id = ?1 RETURNING locked_until`,
    )
    .bind(userId, now.getTime(), codeFailures.limit, codeFailures.windowMs, codeCooldownMs)
    .first<{ locked_until: number | null }>();
  return row?.locked_until && row.locked_until > now.getTime() ? row.locked_until : null;
}

/**
 * Completes a pending sign-in with an authenticator code (current step ±1, newer than the last one
 * accepted) or an unused recovery code. Each try first reserves one of the pending sign-in's attempts,
 * so parallel guesses can't exceed them; the winning request then marks the pending sign-in completed,
 * advances the TOTP step or spends the recovery code, and creates the session, all in one batch.
 */
export async function completeSecondFactor(
  deps: TwoFactorDeps,
  input: { pendingToken: string | null; kind: SecondFactorKind; code: string; client: ClientInfo; previousSessionToken: string | null },
): Promise<SecondFactorResult> {
  const { client, kind } = input;
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  if (!input.pendingToken) return { ok: false, reason: "expired" };
  const code = normalizeSecondFactorCode(kind, input.code);
  if (!code) return { ok: false, reason: "malformed", kind };

  const now = deps.now();
  const at = now.getTime();
  const pendingId = await sha256Hex(input.pendingToken);
  const d1 = deps.db.$client;
  const pausable = kind === "totp" ? `AND NOT EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = pending_sign_ins.user_id AND t.locked_until > ?2)` : "";
  const [reserved, details] = await d1.batch([
    d1
      .prepare(
        `UPDATE pending_sign_ins SET attempts = attempts + 1
         WHERE id = ?1 AND completed_at IS NULL AND expires_at > ?2 AND attempts < ?3 ${pausable}
         RETURNING attempts`,
      )
      .bind(pendingId, at, SECOND_FACTOR_MAX_ATTEMPTS),
    d1
      .prepare(
        `SELECT p.user_id, p.method, p.redirect_to, p.link, u.email, t.encrypted_secret, t.last_used_step, t.locked_until
         FROM pending_sign_ins p JOIN users u ON u.id = p.user_id
         JOIN totp_credentials t ON t.user_id = p.user_id AND t.enabled_at IS NOT NULL
         WHERE p.id = ?1`,
      )
      .bind(pendingId),
  ]);
  const attempts = (reserved!.results as { attempts: number }[])[0]?.attempts;
  const pending = (details!.results as ({
    user_id: string;
    method: string;
    redirect_to: string | null;
    link: string | null;
    email: string;
    locked_until: number | null;
  } & SecretRow)[])[0];
  if (!pending) return { ok: false, reason: "expired" };
  if (attempts === undefined) {
    if (pending.locked_until && pending.locked_until > at) {
      return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(pending.locked_until, now) };
    }
    return { ok: false, reason: "expired" };
  }
  const userId = pending.user_id;

  const proved = await proveSecondFactor(deps, { userId, kind, code, row: pending, now });
  let { replayed } = proved;
  const { proof } = proved;
  if (proved.unreadable) {
    recordAuthEvent(deps, { type: "two_factor_failed", detail: "totp-unreadable", userId, client });
    return { ok: false, reason: "secret-unreadable" };
  }
  if (proof) {
    const link = pending.link ? (JSON.parse(pending.link) as IdentityLink) : null;
    const sessionToken = generateToken(32);
    const sessionId = await sha256Hex(sessionToken);
    const expiresAt = new Date(at + deps.config.sessionLifetimeMs);
    const method = `${pending.method}+${kind}`;
    const params = [
      pendingId,
      at,
      SECOND_FACTOR_MAX_ATTEMPTS,
      sessionId,
      proof.param,
      expiresAt.getTime(),
      client.ip,
      client.userAgent,
      client.country,
      client.city,
      method,
      input.previousSessionToken ? await sha256Hex(input.previousSessionToken) : null,
    ];
    const completedUser = `(SELECT user_id FROM pending_sign_ins WHERE session_id = ?4)`;
    const results = await d1.batch([
      bindNumbered(
        d1,
        `UPDATE pending_sign_ins SET completed_at = ?2, session_id = ?4
         WHERE id = ?1 AND completed_at IS NULL AND expires_at > ?2 AND attempts <= ?3 AND ${proof.condition("pending_sign_ins.user_id")}
         RETURNING user_id`,
        params,
      ),
      bindNumbered(d1, proof.spend(completedUser), params),
      bindNumbered(
        d1,
        `INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent, country, city, method, authenticated_at)
         SELECT ?4, user_id, ?2, ?6, ?2, ?7, ?8, ?9, ?10, ?11, ?2 FROM pending_sign_ins WHERE session_id = ?4
         RETURNING user_id`,
        params,
      ),
      // Session rotation (SES-2), as for any other sign-in.
      bindNumbered(d1, `DELETE FROM sessions WHERE id = ?12 AND EXISTS (SELECT 1 FROM pending_sign_ins WHERE session_id = ?4)`, params),
      // A provider account that matched by email is attached only now that both factors passed.
      ...(link ? [linkIdentityWhere(d1, `SELECT user_id FROM pending_sign_ins WHERE session_id = ?2`, link, [at, sessionId])] : []),
    ]);
    if ((results[2]!.results as unknown[]).length) {
      if (link && (results[4]!.results as unknown[]).length) reportIdentityLinked(deps, { userId, email: pending.email, link, client });
      recordAuthEvent(deps, { type: "sign_in", detail: method, email: pending.email, userId, client });
      if (kind === "recovery") await reportRecoveryCodeUse(deps, { userId, email: pending.email, client });
      return {
        ok: true,
        usedRecoveryCode: kind === "recovery",
        outcome: { kind: "session", userId, token: sessionToken, expiresAt, redirectTo: safeRedirectPath(pending.redirect_to), method },
      };
    }
    // Lost a race: a parallel request spent the same step or code first. That is a replay.
    replayed = kind === "totp";
  }

  recordAuthEvent(deps, { type: "two_factor_failed", detail: replayed ? `${kind}-replayed` : kind, userId, client });
  const lockedUntil = kind === "totp" ? await countSecondFactorFailure(deps, userId, now) : null;
  if (lockedUntil) return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockedUntil, now) };
  const attemptsLeft = SECOND_FACTOR_MAX_ATTEMPTS - attempts;
  if (attemptsLeft <= 0) return { ok: false, reason: "expired" };
  return { ok: false, reason: replayed ? "replayed" : "wrong-code", kind, attemptsLeft };
}

export type StepUpWithSecondFactorResult =
  | { ok: true }
  | { ok: false; reason: "secret-unreadable" }
  | { ok: false; reason: "malformed" | "wrong-code" | "replayed"; kind: SecondFactorKind }
  | { ok: false; reason: "locked" | "rate-limited"; retryAfterSeconds: number };

/**
 * Step-up for an account with 2FA on: an authenticator or recovery code, not an email code (whoever
 * holds the mailbox and an old session cookie must not be able to turn 2FA off). The session is marked
 * freshly authenticated only if the code is still usable when the batch runs; then it's used up.
 */
export async function stepUpWithSecondFactor(
  deps: TwoFactorDeps,
  { sessionId, userId, email, kind, code: typed, client }: { sessionId: string; userId: string; email: string; kind: SecondFactorKind; code: string; client: ClientInfo },
): Promise<StepUpWithSecondFactorResult> {
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const code = normalizeSecondFactorCode(kind, typed);
  if (!code) return { ok: false, reason: "malformed", kind };
  const now = deps.now();
  const d1 = deps.db.$client;
  const row = await d1
    .prepare(`SELECT encrypted_secret, last_used_step, locked_until FROM totp_credentials WHERE user_id = ?1 AND enabled_at IS NOT NULL`)
    .bind(userId)
    .first<SecretRow & { locked_until: number | null }>();
  if (!row) return { ok: false, reason: "wrong-code", kind };
  if (kind === "totp" && row.locked_until && row.locked_until > now.getTime()) {
    return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(row.locked_until, now) };
  }
  const { proof, replayed, unreadable } = await proveSecondFactor(deps, { userId, kind, code, row, now });
  if (unreadable) return { ok: false, reason: "secret-unreadable" };
  if (proof) {
    const params = [userId, now.getTime(), null, sessionId, proof.param];
    const [confirmed] = await d1.batch([
      bindNumbered(d1, `UPDATE sessions SET authenticated_at = ?2 WHERE id = ?4 AND user_id = ?1 AND ${proof.condition("?1")}`, params),
      bindNumbered(d1, proof.spend("?1"), params),
    ]);
    if (confirmed!.meta.changes === 1) {
      recordAuthEvent(deps, { type: "step_up", detail: kind, userId, client });
      if (kind === "recovery") await reportRecoveryCodeUse(deps, { userId, email, client });
      return { ok: true };
    }
  }
  recordAuthEvent(deps, { type: "step_up_failed", detail: kind, userId, client });
  const lockedUntil = kind === "totp" ? await countSecondFactorFailure(deps, userId, now) : null;
  if (lockedUntil) return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockedUntil, now) };
  // A TOTP proof that lost its batch was spent by a parallel request; a recovery code can't be told apart.
  return { ok: false, reason: replayed || (proof && kind === "totp") ? "replayed" : "wrong-code", kind };
}

async function reportRecoveryCodeUse(deps: TwoFactorDeps, { userId, email, client }: { userId: string; email: string; client: ClientInfo }) {
  const { recoveryCodesLeft } = await getTwoFactorStatus(deps.db, userId);
  recordAuthEvent(deps, { type: "recovery_code_used", detail: String(recoveryCodesLeft), userId, client });
  sendSecurityNotice(deps, client, {
    to: email,
    subject: "A recovery code was used",
    heading: "A recovery code was used to sign in",
    paragraphs: [
      `Someone signed in to your Latchkey account with one of your recovery codes. ${recoveryCodesLeft} unused ${recoveryCodesLeft === 1 ? "code is" : "codes are"} left.`,
      "If it was you and you lost your authenticator, set it up again and generate new recovery codes from your account page. If it wasn't you, sign out everywhere and generate new codes now.",
    ],
  });
}

