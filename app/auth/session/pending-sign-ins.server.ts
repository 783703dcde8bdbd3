/**
 * The `pending_sign_ins` table: a first factor that succeeded for an account with a second factor on. No
 * session exists yet, only this short-lived row behind its own cookie, until /auth/2fa gets an
 * authenticator or recovery code (decision 005). Every statement touching the table is here.
 */
import { and, eq, gt, lt, sql, type SQL } from "drizzle-orm";
import { pendingSignIns, recoveryCodes, totpCredentials, users } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { IdentityLink } from "../identities/identities.server";

/** How long the second step may take after the first factor succeeded. */
export const PENDING_SIGN_IN_LIFETIME_MS = 10 * 60 * 1000;
/** Wrong codes allowed per pending sign-in before it has to start over. */
export const SECOND_FACTOR_MAX_ATTEMPTS = 5;

/**
 * Inserts the pending sign-in for the user that `source` yields (a SELECT with `user_id` and `redirect_to`
 * columns), only if it yields one. Returns `user_id, redirect_to`.
 */
export function insertPendingSignInFor(
  db: Database,
  source: SQL,
  { id, method, at, link }: { id: string; method: string; at: Date; link: IdentityLink | null },
) {
  return db.all<{ user_id: string; redirect_to: string | null }>(sql`
    INSERT INTO ${pendingSignIns} (id, user_id, method, redirect_to, attempts, created_at, expires_at, link)
    SELECT ${id}, src.user_id, ${method}, src.redirect_to, 0, ${at.getTime()}, ${at.getTime() + PENDING_SIGN_IN_LIFETIME_MS},
      ${link ? JSON.stringify(link) : null}
    FROM (${source}) AS src
    RETURNING user_id, redirect_to`);
}

/** Still completable: not completed, not expired, and with attempts left. */
function stillOpen(id: string, now: Date): SQL {
  return and(
    eq(pendingSignIns.id, id),
    sql`${pendingSignIns.completedAt} IS NULL`,
    gt(pendingSignIns.expiresAt, now),
    lt(pendingSignIns.attempts, SECOND_FACTOR_MAX_ATTEMPTS),
  )!;
}

/** The pending sign-in behind a cookie, if it can still be completed, with what /auth/2fa shows. */
export function findLivePendingSignIn(db: Database, { id, now }: { id: string; now: Date }) {
  return db
    .select({
      userId: pendingSignIns.userId,
      method: pendingSignIns.method,
      attempts: pendingSignIns.attempts,
      email: users.email,
      recoveryCodesLeft: sql<number>`(SELECT count(*) FROM ${recoveryCodes} WHERE ${recoveryCodes.userId} = ${pendingSignIns.userId} AND ${recoveryCodes.usedAt} IS NULL)`,
    })
    .from(pendingSignIns)
    .innerJoin(users, eq(users.id, pendingSignIns.userId))
    .where(stillOpen(id, now))
    .limit(1);
}

/**
 * Reserves one of the pending sign-in's attempts before its code is checked, so however many guesses
 * arrive at once, at most SECOND_FACTOR_MAX_ATTEMPTS are ever checked; only while `when` holds (e.g.
 * the account's authenticator isn't paused). Returns the attempts used, or nothing.
 */
export function reservePendingAttempt(db: Database, { id, now, when }: { id: string; now: Date; when?: SQL }) {
  return db
    .update(pendingSignIns)
    .set({ attempts: sql`${pendingSignIns.attempts} + 1` })
    .where(and(stillOpen(id, now), when))
    .returning({ attempts: pendingSignIns.attempts });
}

/** What the second step needs: who, how they started, where to, the link to attach, and the TOTP row. */
export function readPendingForSecondStep(db: Database, id: string) {
  return db
    .select({
      userId: pendingSignIns.userId,
      method: pendingSignIns.method,
      redirectTo: pendingSignIns.redirectTo,
      link: pendingSignIns.link,
      email: users.email,
      encryptedSecret: totpCredentials.encryptedSecret,
      lastUsedStep: totpCredentials.lastUsedStep,
      lockedUntil: totpCredentials.lockedUntil,
    })
    .from(pendingSignIns)
    .innerJoin(users, eq(users.id, pendingSignIns.userId))
    .innerJoin(totpCredentials, and(eq(totpCredentials.userId, pendingSignIns.userId), sql`${totpCredentials.enabledAt} IS NOT NULL`))
    .where(eq(pendingSignIns.id, id))
    .limit(1);
}

/**
 * Completes the pending sign-in exactly once, stamping it with the new session's id, if it is still live
 * and `proof` (the second factor, re-checked inside the batch) holds. Returns `user_id`.
 */
export function completePendingSignIn(db: Database, { id, now, sessionId, proof }: { id: string; now: Date; sessionId: string; proof: SQL }) {
  return db
    .update(pendingSignIns)
    .set({ completedAt: now, sessionId })
    .where(
      and(
        eq(pendingSignIns.id, id),
        sql`${pendingSignIns.completedAt} IS NULL`,
        gt(pendingSignIns.expiresAt, now),
        sql`${pendingSignIns.attempts} <= ${SECOND_FACTOR_MAX_ATTEMPTS}`,
        proof,
      ),
    )
    .returning({ userId: pendingSignIns.userId });
}

/** The user of the pending sign-in this batch completed into `sessionId`, as a source for the session. */
export function completedInto(sessionId: string): SQL {
  return sql`SELECT ${pendingSignIns.userId} AS user_id FROM ${pendingSignIns} WHERE ${pendingSignIns.sessionId} = ${sessionId}`;
}

/** Every pending sign-in of a user (an id or a subquery), when `when` holds. */
export function deleteUserPendingSignIns(db: Database, userId: string | SQL, when?: SQL) {
  return db.delete(pendingSignIns).where(and(eq(pendingSignIns.userId, userId), when));
}

/** Daily purge. */
export function deleteExpiredPendingSignIns(db: Database, now: Date) {
  return db.delete(pendingSignIns).where(lt(pendingSignIns.expiresAt, now));
}
