/**
 * The `totp_credentials` table: an account's authenticator-app secret (AES-GCM-sealed, OTP-3), whether it
 * is on, the last time step accepted (OTP-2), and the account's wrong-code counter and pause (RL-3).
 * Every statement touching the table is here.
 */
import { and, eq, gte, isNotNull, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { totpCredentials } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import { unusedRecoveryCodes } from "./recovery-codes.server";

/** An unconfirmed enrollment is thrown away after this long: the step-up window that allowed it. */
export const ENROLLMENT_LIFETIME_MS = 10 * 60 * 1000;

/** True when the user (an id or a column such as `src.user_id`) has an authenticator turned on. */
export function secondFactorEnabled(userId: string | SQL): SQL {
  return sql`EXISTS (SELECT 1 FROM ${totpCredentials} t WHERE t.user_id = ${userId} AND t.enabled_at IS NOT NULL)`;
}

/** True while the user's authenticator codes are not paused by repeated wrong ones. */
export function authenticatorNotPaused(userId: string | SQL, now: Date): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM ${totpCredentials} tl WHERE tl.user_id = ${userId} AND tl.locked_until > ${now.getTime()})`;
}

/** True while `step` is newer than the last one accepted for the user's enabled authenticator. */
export function stepUnused(userId: string | SQL, step: number): SQL {
  return sql`EXISTS (SELECT 1 FROM ${totpCredentials} t WHERE t.user_id = ${userId} AND t.enabled_at IS NOT NULL AND t.last_used_step < ${step})`;
}

/** Whether 2FA is on, since when, and how many recovery codes are left. */
export function readTwoFactorStatus(db: Database, userId: string) {
  return db.all<{ enabled_at: number | null; left: number }>(sql`
    SELECT ${totpCredentials.enabledAt} AS enabled_at, ${unusedRecoveryCodes(userId)} AS left
    FROM (SELECT 1) LEFT JOIN ${totpCredentials} ON ${totpCredentials.userId} = ${userId}`);
}

/** Starts (or restarts) an enrollment: a fresh sealed secret, not yet on. An enabled secret is never replaced. */
export function upsertPendingEnrollment(db: Database, { userId, sealed, now }: { userId: string; sealed: string; now: Date }) {
  return db
    .insert(totpCredentials)
    .values({ userId, encryptedSecret: sealed, createdAt: now, enabledAt: null, lastUsedStep: 0 })
    .onConflictDoUpdate({
      target: totpCredentials.userId,
      set: { encryptedSecret: sealed, createdAt: now, lastUsedStep: 0 },
      setWhere: isNull(totpCredentials.enabledAt),
    })
    .returning({ userId: totpCredentials.userId });
}

/** The enrollment in progress, if it is still within its lifetime. */
export function findPendingEnrollment(db: Database, { userId, now }: { userId: string; now: Date }) {
  return db
    .select({ sealed: totpCredentials.encryptedSecret })
    .from(totpCredentials)
    .where(
      and(
        eq(totpCredentials.userId, userId),
        isNull(totpCredentials.enabledAt),
        sql`${totpCredentials.createdAt} > ${now.getTime() - ENROLLMENT_LIFETIME_MS}`,
      ),
    )
    .limit(1);
}

/**
 * Turns 2FA on, once: only the enrollment sealed as `was` (and still within its lifetime) is enabled, and it
 * is resealed as `marker` — a value only this request knows, so the statements after it can act only if
 * it was this request that turned 2FA on. The confirming code's step counts as used.
 */
export function enableAuthenticator(db: Database, { userId, was, marker, step, now }: { userId: string; was: string; marker: string; step: number; now: Date }) {
  return db
    .update(totpCredentials)
    .set({ enabledAt: now, lastUsedStep: step, encryptedSecret: marker })
    .where(
      and(
        eq(totpCredentials.userId, userId),
        isNull(totpCredentials.enabledAt),
        eq(totpCredentials.encryptedSecret, was),
        sql`${totpCredentials.createdAt} > ${now.getTime() - ENROLLMENT_LIFETIME_MS}`,
      ),
    )
    .returning({ userId: totpCredentials.userId });
}

/** True when the user's authenticator is sealed as `marker` (see enableAuthenticator). */
export function sealedAs(userId: string, marker: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${totpCredentials} WHERE ${totpCredentials.userId} = ${userId} AND ${totpCredentials.encryptedSecret} = ${marker})`;
}

/** The enabled authenticator's sealed secret, last step and pause. */
export function readEnabledAuthenticator(db: Database, userId: string) {
  return db
    .select({ sealed: totpCredentials.encryptedSecret, lastUsedStep: totpCredentials.lastUsedStep, lockedUntil: totpCredentials.lockedUntil })
    .from(totpCredentials)
    .where(and(eq(totpCredentials.userId, userId), isNotNull(totpCredentials.enabledAt)))
    .limit(1);
}

/** Records `step` as the last one accepted, if it is newer (OTP-2). */
export function spendStep(db: Database, { userId, step }: { userId: string | SQL; step: number }) {
  return db
    .update(totpCredentials)
    .set({ lastUsedStep: step })
    .where(and(eq(totpCredentials.userId, userId), lt(totpCredentials.lastUsedStep, step)));
}

/**
 * Counts a wrong authenticator code against the account (RL-3): LIMIT_CODE_FAILURES in a window pauses
 * the authenticator for CODE_COOLDOWN_SECONDS, across every pending sign-in, step-up and IP. One
 * statement, so parallel wrong codes are all counted. Returns `lockedUntil`.
 */
export function countAuthenticatorFailure(db: Database, config: AppConfig, { userId, now }: { userId: string; now: Date }) {
  const { codeFailures, codeCooldownMs } = config.limits;
  const at = now.getTime();
  const newWindow = sql`(${totpCredentials.failureWindowStartedAt} IS NULL OR ${totpCredentials.failureWindowStartedAt} <= ${at - codeFailures.windowMs})`;
  const failures = sql`(CASE WHEN ${newWindow} THEN 1 ELSE ${totpCredentials.failures} + 1 END)`;
  return db
    .update(totpCredentials)
    .set({
      failures,
      failureWindowStartedAt: sql`CASE WHEN ${newWindow} THEN ${at} ELSE ${totpCredentials.failureWindowStartedAt} END`,
      lockedUntil: sql`CASE WHEN ${failures} >= ${codeFailures.limit} THEN ${at + codeCooldownMs} ELSE ${totpCredentials.lockedUntil} END`,
    })
    .where(eq(totpCredentials.userId, userId))
    .returning({ lockedUntil: totpCredentials.lockedUntil });
}

/** Turning 2FA off: the enabled authenticator. Returns the user id when there was one. */
export function deleteEnabledAuthenticator(db: Database, userId: string) {
  return db
    .delete(totpCredentials)
    .where(and(eq(totpCredentials.userId, userId), isNotNull(totpCredentials.enabledAt)))
    .returning({ userId: totpCredentials.userId });
}

/**
 * The user's authenticator (an id or a subquery): all of it, or with `since`, only one enabled at or
 * after it (or still being enrolled). Returns `enabledAt`.
 */
export function deleteAuthenticator(db: Database, userId: string | SQL, { since }: { since?: SQL } = {}) {
  return db
    .delete(totpCredentials)
    .where(and(eq(totpCredentials.userId, userId), since ? or(isNull(totpCredentials.enabledAt), gte(totpCredentials.enabledAt, since)) : undefined))
    .returning({ enabledAt: totpCredentials.enabledAt });
}

/** Daily purge: enrollments never confirmed, a day on. */
export function deleteStaleEnrollments(db: Database, now: Date) {
  return db
    .delete(totpCredentials)
    .where(and(isNull(totpCredentials.enabledAt), lt(totpCredentials.createdAt, new Date(now.getTime() - 24 * 60 * 60 * 1000))));
}
