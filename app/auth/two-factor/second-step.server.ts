/**
 * The second sign-in step (decision 005): a pending sign-in, made by a first factor for an account with
 * an authenticator, completed by an authenticator code (current step ±1, newer than the last accepted) or
 * an unused recovery code. Each try first reserves one of the pending sign-in's attempts, so parallel
 * guesses can't exceed them; the winning request then marks the pending sign-in completed, spends the
 * proof, creates the session and attaches any provider account waiting for this step, all in one batch.
 */
import { runBatch } from "~/db/batch.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateToken, sha256Hex } from "~/lib/crypto.server";
import { retryAfterSeconds } from "~/lib/rate-limit.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import type { AuthDeps, RateLimited } from "../deps";
import { recordAuthEvent } from "../audit/events.server";
import { sendSecurityNotice } from "../audit/notices.server";
import { guessGate } from "../gates.server";
import { insertIdentityFor, reportIdentityLinked, type IdentityLink } from "../identities/identities.server";
import {
  SECOND_FACTOR_MAX_ATTEMPTS,
  completePendingSignIn,
  completedInto,
  findLivePendingSignIn,
  readPendingForSecondStep,
  reservePendingAttempt,
} from "../session/pending-sign-ins.server";
import { deleteSessionWhen, insertSessionFor } from "../session/sessions.server";
import type { SignInOutcome } from "../session/start.server";
import { normalizeSecondFactorCode, proveSecondFactor, type SecondFactorKind } from "./proof.server";
import { getTwoFactorStatus } from "./enrollment.server";
import { authenticatorNotPaused, countAuthenticatorFailure } from "./totp-credentials.server";
import { sql } from "drizzle-orm";
import { pendingSignIns } from "~/db/schema";

export interface PendingSignIn {
  userId: string;
  email: string;
  method: string;
  attemptsLeft: number;
  recoveryCodesLeft: number;
}

/** The pending sign-in behind a 2FA cookie, if it can still be completed. Read-only. */
export async function findPendingSignIn(deps: Pick<AuthDeps, "db" | "now">, pendingToken: string | null): Promise<PendingSignIn | null> {
  if (!pendingToken) return null;
  const [row] = await findLivePendingSignIn(deps.db, { id: await sha256Hex(pendingToken), now: deps.now() });
  if (!row) return null;
  return { userId: row.userId, email: row.email, method: row.method, attemptsLeft: SECOND_FACTOR_MAX_ATTEMPTS - row.attempts, recoveryCodesLeft: row.recoveryCodesLeft };
}

export type SecondFactorResult =
  | { ok: true; outcome: SignInOutcome & { kind: "session" }; usedRecoveryCode: boolean }
  | { ok: false; reason: "expired" | "secret-unreadable" }
  | { ok: false; reason: "malformed"; kind: SecondFactorKind }
  | { ok: false; reason: "wrong-code" | "replayed"; kind: SecondFactorKind; attemptsLeft: number }
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  | RateLimited;

export async function completeSecondFactor(
  deps: AuthDeps,
  input: { pendingToken: string | null; kind: SecondFactorKind; code: string; client: ClientInfo; previousSessionToken: string | null },
): Promise<SecondFactorResult> {
  const { client, kind } = input;
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  if (!input.pendingToken) return { ok: false, reason: "expired" };
  const code = normalizeSecondFactorCode(kind, input.code);
  if (!code) return { ok: false, reason: "malformed", kind };

  const { db } = deps;
  const now = deps.now();
  const pendingId = await sha256Hex(input.pendingToken);
  // Authenticator codes wait out the account's pause; recovery codes never do (decision 005).
  const pausable = kind === "totp" ? authenticatorNotPaused(sql`${pendingSignIns.userId}`, now) : undefined;
  const { reserved, details } = await runBatch(db, {
    reserved: reservePendingAttempt(db, { id: pendingId, now, when: pausable }),
    details: readPendingForSecondStep(db, pendingId),
  });
  const pending = details[0];
  if (!pending) return { ok: false, reason: "expired" };
  const attempts = reserved[0]?.attempts;
  if (attempts === undefined) {
    if (kind === "totp" && pending.lockedUntil && pending.lockedUntil > now) {
      return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(pending.lockedUntil.getTime(), now) };
    }
    return { ok: false, reason: "expired" };
  }
  const { userId } = pending;

  const proved = await proveSecondFactor(deps, { userId, kind, code, sealed: pending.encryptedSecret, lastUsedStep: pending.lastUsedStep, now });
  if (!proved.proof && proved.why === "unreadable") {
    recordAuthEvent(deps, { type: "two_factor_failed", detail: "totp-unreadable", userId, client });
    return { ok: false, reason: "secret-unreadable" };
  }
  let replayed = !proved.proof && proved.why === "replayed";
  if (proved.proof) {
    const sessionToken = generateToken(32);
    const sessionId = await sha256Hex(sessionToken);
    const expiresAt = new Date(now.getTime() + deps.config.sessionLifetimeMs);
    const method = `${pending.method}+${kind}`;
    const link = pending.link ? (JSON.parse(pending.link) as IdentityLink) : null;
    const completed = completedInto(sessionId);
    const results = await runBatch(db, {
      completed: completePendingSignIn(db, { id: pendingId, now, sessionId, proof: proved.proof.holds(sql`${pendingSignIns.userId}`) }),
      spent: proved.proof.spend(db, sql`(${completed})`),
      session: insertSessionFor(db, completed, { id: sessionId, at: now, expiresAt, method, client }),
      // Session rotation (SES-2), as for any other sign-in.
      rotated: deleteSessionWhen(db, input.previousSessionToken ? await sha256Hex(input.previousSessionToken) : null, sql`EXISTS (${completed})`),
      // A provider account that matched by email is attached only now that both factors passed.
      ...(link ? { linked: insertIdentityFor(db, completed, link, now) } : {}),
    });
    if (results.session.length > 0) {
      if (link && ((results as { linked?: unknown[] }).linked?.length ?? 0) > 0) reportIdentityLinked(deps, { userId, email: pending.email, link, client });
      recordAuthEvent(deps, { type: "sign_in", detail: method, email: pending.email, userId, client });
      if (kind === "recovery") await reportRecoveryCodeUse(deps, { userId, email: pending.email, client });
      return {
        ok: true,
        usedRecoveryCode: kind === "recovery",
        outcome: { kind: "session", userId, token: sessionToken, expiresAt, redirectTo: safeRedirectPath(pending.redirectTo), method },
      };
    }
    // Lost a race: a parallel request spent the same step or code first. That is a replay.
    replayed = kind === "totp";
  }

  recordAuthEvent(deps, { type: "two_factor_failed", detail: replayed ? `${kind}-replayed` : kind, userId, client });
  const lockedUntil = kind === "totp" ? await countFailure(deps, userId, now) : null;
  if (lockedUntil) return { ok: false, reason: "locked", retryAfterSeconds: retryAfterSeconds(lockedUntil, now) };
  const attemptsLeft = SECOND_FACTOR_MAX_ATTEMPTS - attempts;
  if (attemptsLeft <= 0) return { ok: false, reason: "expired" };
  return { ok: false, reason: replayed ? "replayed" : "wrong-code", kind, attemptsLeft };
}

/** Counts a wrong authenticator code against the account; when that starts the pause, when it ends. */
export async function countFailure(deps: Pick<AuthDeps, "db" | "config">, userId: string, now: Date): Promise<number | null> {
  const [row] = await countAuthenticatorFailure(deps.db, deps.config, { userId, now });
  const lockedUntil = row?.lockedUntil?.getTime() ?? null;
  return lockedUntil && lockedUntil > now.getTime() ? lockedUntil : null;
}

/** The log entry and the notice (OTP-4) for a recovery code that was just used. */
export async function reportRecoveryCodeUse(deps: AuthDeps, { userId, email, client }: { userId: string; email: string; client: ClientInfo }) {
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
