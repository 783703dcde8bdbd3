/**
 * Checking a second-factor code (authenticator or recovery) outside the database, and turning what it
 * proves into SQL the state change re-checks atomically: a proof holds while the code is still usable (a
 * TOTP step newer than the last one accepted and the authenticator not paused, or an unused recovery
 * code) and is spent in the same batch, so two parallel requests can never both use it (OTP-2).
 */
import { and, type SQL } from "drizzle-orm";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { AuthDeps } from "../deps";
import { hashRecoveryCode, recoveryCodeUnused, spendRecoveryCode } from "./recovery-codes.server";
import { authenticatorNotPaused, spendStep, stepUnused } from "./totp-credentials.server";
import { decryptTotpSecret, matchTotpStep, normalizeRecoveryCode } from "./totp.server";

export type SecondFactorKind = "totp" | "recovery";

export interface SecondFactorProof {
  /** Holds while the code is still usable by the user (an id or a column). */
  holds: (userId: string | SQL) => SQL;
  /** Uses it up. */
  spend: (db: Database, userId: string | SQL) => ReturnType<typeof spendStep> | ReturnType<typeof spendRecoveryCode>;
}

export type ProofResult =
  | { proof: SecondFactorProof }
  | { proof: null; why: "wrong" | "replayed" | "unreadable" };

/** A code as typed, or null if it can't be one: 6 digits for the app, 16 letters/digits for recovery. */
export function normalizeSecondFactorCode(kind: SecondFactorKind, code: string): string | null {
  if (kind === "recovery") return normalizeRecoveryCode(code);
  const digits = code.replace(/[\s-]/g, "");
  return /^\d{6}$/.test(digits) ? digits : null;
}

/**
 * The stored authenticator secret, or null when no configured TOTP_ENCRYPTION_KEY opens it (a key was
 * replaced instead of rotated): the person can still get in with a recovery code, and the operator is told.
 */
export async function readTotpSecret(config: Pick<AppConfig, "totpEncryptionKeys">, userId: string, sealed: string): Promise<Uint8Array | null> {
  try {
    return await decryptTotpSecret(config.totpEncryptionKeys, userId, sealed);
  } catch (error) {
    console.error(`TOTP secret of ${userId} is unreadable (was TOTP_ENCRYPTION_KEY replaced instead of rotated?)`, error);
    return null;
  }
}

/** What a (normalized) code proves for `userId`, given their sealed secret and last accepted step. */
export async function proveSecondFactor(
  deps: Pick<AuthDeps, "config">,
  { userId, kind, code, sealed, lastUsedStep, now }: { userId: string; kind: SecondFactorKind; code: string; sealed: string; lastUsedStep: number; now: Date },
): Promise<ProofResult> {
  if (kind === "recovery") {
    const codeHash = await hashRecoveryCode(code);
    return {
      proof: {
        // Not paused by the cool-down that wrong authenticator codes start: a recovery code carries ~79
        // bits, so guessing is no threat, and it is how an owner gets in when someone else tripped the pause.
        holds: (user) => recoveryCodeUnused(user, codeHash),
        spend: (db, user) => spendRecoveryCode(db, { userId: user, codeHash, now }),
      },
    };
  }
  const secret = await readTotpSecret(deps.config, userId, sealed);
  if (!secret) return { proof: null, why: "unreadable" };
  const step = matchTotpStep(secret, code, now);
  if (step === null) return { proof: null, why: "wrong" };
  if (step <= lastUsedStep) return { proof: null, why: "replayed" };
  return {
    proof: {
      holds: (user) => and(stepUnused(user, step), authenticatorNotPaused(user, now))!,
      spend: (db, user) => spendStep(db, { userId: user, step }),
    },
  };
}
