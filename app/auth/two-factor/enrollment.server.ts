/**
 * Turning an authenticator app on and off, and replacing recovery codes. Enrollment starts with a fresh
 * sealed secret that only counts once a code from the app confirms it; the batch that turns 2FA on also
 * issues the recovery codes and ends the account's other sessions. All of these need a recent sign-in
 * (the routes check it with requireRecentAuthentication).
 */
import { runBatch } from "~/db/batch.server";
import type { ClientInfo } from "~/lib/client-info.server";
import type { AppConfig } from "~/lib/env.server";
import type { AuthDeps, RateLimited } from "../deps";
import { recordAuthEvent } from "../audit/events.server";
import { notMeLink, sendSecurityNotice } from "../audit/notices.server";
import { guessGate } from "../gates.server";
import { deleteUserPendingSignIns } from "../session/pending-sign-ins.server";
import { deleteUserSessions } from "../session/sessions.server";
import { readTotpSecret } from "./proof.server";
import { deleteRecoveryCodes, insertRecoveryCodes } from "./recovery-codes.server";
import {
  deleteEnabledAuthenticator,
  enableAuthenticator,
  findPendingEnrollment,
  readTwoFactorStatus,
  sealedAs,
  secondFactorEnabled,
  upsertPendingEnrollment,
} from "./totp-credentials.server";
import {
  encryptTotpSecret,
  formatSecretForManualEntry,
  generateRecoveryCodes,
  generateTotpSecret,
  matchTotpStep,
  qrCodePath,
  totpUri,
} from "./totp.server";

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: Date | null;
  recoveryCodesLeft: number;
}

/** The status read and its reader, so a page can batch it with other reads (one D1 round trip). */
export function twoFactorStatusQuery(db: AuthDeps["db"], userId: string) {
  return {
    statement: readTwoFactorStatus(db, userId),
    read: (rows: { enabled_at: number | null; left: number }[]): TwoFactorStatus => {
      const enabledAt = rows[0]?.enabled_at ?? null;
      return { enabled: enabledAt !== null, enabledAt: enabledAt === null ? null : new Date(enabledAt), recoveryCodesLeft: rows[0]?.left ?? 0 };
    },
  };
}

export async function getTwoFactorStatus(db: AuthDeps["db"], userId: string): Promise<TwoFactorStatus> {
  const query = twoFactorStatusQuery(db, userId);
  return query.read(await query.statement);
}

/** Starts (or restarts) an enrollment. Not ok when 2FA is already on: an enabled secret is never replaced. */
export async function beginTotpEnrollment(deps: Pick<AuthDeps, "db" | "config" | "now">, { userId }: { userId: string }): Promise<{ ok: boolean }> {
  const sealed = await encryptTotpSecret(deps.config.totpEncryptionKeys, userId, generateTotpSecret());
  const rows = await upsertPendingEnrollment(deps.db, { userId, sealed, now: deps.now() });
  return { ok: rows.length > 0 };
}

export interface EnrollmentView {
  manualKey: string;
  uri: string;
  qr: { size: number; path: string };
}

/** What the enrollment page shows: the pending secret as a QR code and as text, or null if none. */
export async function getPendingEnrollment(
  deps: Pick<AuthDeps, "db" | "config" | "now">,
  { userId, email }: { userId: string; email: string },
): Promise<EnrollmentView | null> {
  const [row] = await findPendingEnrollment(deps.db, { userId, now: deps.now() });
  const secret = row && (await readTotpSecret(deps.config, userId, row.sealed));
  if (!secret) return null;
  const uri = totpUri(secret, { issuer: issuerName(deps.config), account: email });
  return { manualKey: formatSecretForManualEntry(secret), uri, qr: qrCodePath(uri) };
}

/** The name authenticator apps list the account under: "Latchkey (auth.example.com)", or the product's name. */
function issuerName(config: AppConfig): string {
  return `${config.theme.name} (${new URL(config.appUrl).host})`;
}

export type ConfirmEnrollmentResult =
  | { ok: true; recoveryCodes: string[] }
  | { ok: false; reason: "no-enrollment" | "wrong-code" }
  | RateLimited;

/**
 * Turns 2FA on once the person proves their app has the secret. The same batch issues the recovery codes
 * and ends every other session and pending sign-in of the account: from now on each needs the second
 * factor, and a session that never passed it (an intruder's, say) must not outlive the change.
 */
export async function confirmTotpEnrollment(
  deps: AuthDeps,
  { userId, email, sessionId, code, client }: { userId: string; email: string; sessionId: string; code: string; client: ClientInfo },
): Promise<ConfirmEnrollmentResult> {
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const now = deps.now();
  const [row] = await findPendingEnrollment(deps.db, { userId, now });
  const secret = row && (await readTotpSecret(deps.config, userId, row.sealed));
  if (!row || !secret) return { ok: false, reason: "no-enrollment" };
  const step = matchTotpStep(secret, code, now);
  if (step === null) {
    recordAuthEvent(deps, { type: "two_factor_failed", detail: "enrollment", userId, client });
    return { ok: false, reason: "wrong-code" };
  }

  const codes = generateRecoveryCodes();
  // Sealed again with a fresh IV: a value only this request knows, so the statements after the UPDATE
  // act only if it was this request that turned 2FA on (a double submit can't replace the codes shown).
  const marker = await encryptTotpSecret(deps.config.totpEncryptionKeys, userId, secret);
  const mine = sealedAs(userId, marker);
  const db = deps.db;
  const inserts = await insertRecoveryCodes(db, { userId, codes, at: now, when: mine });
  const { enabled } = await runBatch(db, {
    enabled: enableAuthenticator(db, { userId, was: row.sealed, marker, step, now }),
    oldCodes: deleteRecoveryCodes(db, userId, { when: mine }),
    ...Object.fromEntries(inserts.map((insert, i) => [`code${i}`, insert])),
    otherSessions: deleteUserSessions(db, userId, { except: sessionId, when: mine }),
    pending: deleteUserPendingSignIns(db, userId, mine),
  });
  if (enabled.length === 0) return { ok: false, reason: "no-enrollment" };

  recordAuthEvent(deps, { type: "two_factor_enabled", userId, client });
  sendSecurityNotice(deps, client, {
    to: email,
    subject: "Two-factor authentication is on",
    heading: "Two-factor authentication was turned on",
    paragraphs: [
      "Signing in to your Latchkey account now also needs a code from your authenticator app (or one of your recovery codes). Your other sessions were signed out.",
      "If you didn't do this, use the link below: it signs your account out everywhere and removes the authenticator that was added. Then secure your email account.",
    ],
    // Its own "I didn't do this" link: ends every session and removes this authenticator again.
    action: { label: "I didn't do this — undo it and sign out everywhere", url: await notMeLink(deps, { email, eventAt: now }), note: "The link works once, for 7 days." },
  });
  return { ok: true, recoveryCodes: codes };
}

export async function disableTwoFactor(deps: AuthDeps, { userId, email, client }: { userId: string; email: string; client: ClientInfo }): Promise<{ ok: boolean }> {
  const db = deps.db;
  const { removed } = await runBatch(db, {
    removed: deleteEnabledAuthenticator(db, userId),
    codes: deleteRecoveryCodes(db, userId),
    // Sign-ins waiting for a second step could never finish now.
    pending: deleteUserPendingSignIns(db, userId),
  });
  if (removed.length === 0) return { ok: false };
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
  deps: AuthDeps,
  { userId, email, client }: { userId: string; email: string; client: ClientInfo },
): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false }> {
  const db = deps.db;
  const codes = generateRecoveryCodes();
  const inserts = await insertRecoveryCodes(db, { userId, codes, at: deps.now(), when: secondFactorEnabled(userId) });
  const results = await runBatch(db, {
    old: deleteRecoveryCodes(db, userId),
    ...Object.fromEntries(inserts.map((insert, i) => [`code${i}`, insert])),
  });
  const inserted = codes.map((_, i) => ((results as Record<string, unknown>)[`code${i}`] as D1Result).meta.changes);
  if (inserted.some((changes) => changes !== 1)) return { ok: false };
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
