/**
 * Every statement that touches the `passkeys` and `passkey_challenges` tables (their one owner). Each
 * function returns a drizzle query that has not run yet, so flows can await it or put it in a
 * `db.batch([...])` with statements from other owners.
 */
import { and, asc, eq, gt, gte, lte, sql, type SQL } from "drizzle-orm";
import { passkeyChallenges, passkeys, users } from "~/db/schema";
import type { Database } from "~/lib/db.server";

/** WAN-2: a challenge is good for five minutes, and the browser is told the same timeout. */
export const CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;

export type ChallengePurpose = (typeof passkeyChallenges.$inferInsert)["purpose"];

// --- challenges --------------------------------------------------------------------------------------

export function insertChallenge(
  db: Database,
  { id, purpose, userId = null, sessionId = null, now }: { id: string; purpose: ChallengePurpose; userId?: string | null; sessionId?: string | null; now: Date },
) {
  return db.insert(passkeyChallenges).values({
    id,
    purpose,
    userId,
    sessionId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CHALLENGE_LIFETIME_MS),
  });
}

/**
 * Uses up a challenge: one DELETE … RETURNING that matches only a live challenge issued for this purpose
 * (and this user and session, when it was bound to them), so of two requests carrying it at most one
 * gets a row back (WAN-2, TOK-3). A challenge for another purpose or person is left alone.
 */
export function consumeChallenge(
  db: Database,
  { id, purpose, userId = null, sessionId = null, now }: { id: string; purpose: ChallengePurpose; userId?: string | null; sessionId?: string | null; now: Date },
) {
  const boundTo = (column: typeof passkeyChallenges.userId | typeof passkeyChallenges.sessionId, value: string | null): SQL =>
    value === null ? sql`${column} IS NULL` : eq(column, value);
  return db
    .delete(passkeyChallenges)
    .where(
      and(
        eq(passkeyChallenges.id, id),
        eq(passkeyChallenges.purpose, purpose),
        gt(passkeyChallenges.expiresAt, now),
        boundTo(passkeyChallenges.userId, userId),
        purpose === "step-up" ? boundTo(passkeyChallenges.sessionId, sessionId) : undefined,
      ),
    )
    .returning({ id: passkeyChallenges.id });
}

/** For the daily purge: challenges nobody used. */
export function deleteExpiredChallenges(db: Database, now: Date) {
  return db.delete(passkeyChallenges).where(lte(passkeyChallenges.expiresAt, now));
}

// --- passkeys ----------------------------------------------------------------------------------------

export type NewPasskey = typeof passkeys.$inferInsert;

/** Stores a new passkey unless its credential id is already registered (to anyone). */
export function insertPasskey(db: Database, passkey: NewPasskey) {
  return db
    .insert(passkeys)
    .values(passkey)
    .onConflictDoNothing({ target: passkeys.credentialId })
    .returning({ id: passkeys.id, name: passkeys.name });
}

/** The passkey a sign-in names, with its owner's email (for the log and notices). */
export function findPasskeyByCredentialId(db: Database, credentialId: string) {
  return db
    .select({
      id: passkeys.id,
      userId: passkeys.userId,
      email: users.email,
      publicKey: passkeys.publicKey,
      algorithm: passkeys.algorithm,
      signCount: passkeys.signCount,
      name: passkeys.name,
    })
    .from(passkeys)
    .innerJoin(users, eq(users.id, passkeys.userId))
    .where(eq(passkeys.credentialId, credentialId))
    .limit(1);
}

/**
 * Records a successful use, only if the signature counter moved forward (WAN-4, WebAuthn §7.2 step 21):
 * when either the stored or the new count is non-zero, the new one must be greater; two zeros (most
 * synced passkeys never count) are fine. Conditional, so two assertions racing with one count can't
 * both pass. No row back: refused, or the passkey was deleted meanwhile.
 */
export function recordPasskeyUse(db: Database, { id, signCount, backedUp, now }: { id: string; signCount: number; backedUp: boolean; now: Date }) {
  return db
    .update(passkeys)
    .set({ signCount, backedUp, lastUsedAt: now })
    .where(and(eq(passkeys.id, id), sql`(${signCount} > ${passkeys.signCount} OR (${signCount} = 0 AND ${passkeys.signCount} = 0))`))
    .returning({ userId: passkeys.userId });
}

/** The account page's list, oldest first. */
export function listPasskeys(db: Database, userId: string) {
  return db
    .select({
      id: passkeys.id,
      name: passkeys.name,
      backupEligible: passkeys.backupEligible,
      createdAt: passkeys.createdAt,
      lastUsedAt: passkeys.lastUsedAt,
    })
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .orderBy(asc(passkeys.createdAt), asc(passkeys.id));
}

/** What registration options exclude: credentials this account already has (so one device isn't added twice). */
export function listCredentialDescriptors(db: Database, userId: string) {
  return db.select({ credentialId: passkeys.credentialId, transports: passkeys.transports }).from(passkeys).where(eq(passkeys.userId, userId));
}

/** Whether the account has a passkey: step-up offers one first when it does. */
export function countPasskeys(db: Database, userId: string) {
  return db.select({ count: sql<number>`count(*)` }).from(passkeys).where(eq(passkeys.userId, userId));
}

export function renamePasskey(db: Database, { userId, id, name }: { userId: string; id: string; name: string }) {
  return db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .returning({ id: passkeys.id, name: passkeys.name });
}

export function deletePasskey(db: Database, { userId, id }: { userId: string; id: string }) {
  return db
    .delete(passkeys)
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .returning({ id: passkeys.id, name: passkeys.name });
}

/**
 * "This wasn't me": passkeys added since `since` (e.g. the alerted sign-in) go, so whoever got in can't
 * come back with one they registered. `userId` may be a SQL expression (a subquery in the same batch).
 */
export function deletePasskeysCreatedSince(db: Database, userId: string | SQL, since: Date | SQL) {
  return db
    .delete(passkeys)
    .where(and(eq(passkeys.userId, userId), gte(passkeys.createdAt, since)))
    .returning({ name: passkeys.name });
}

/** Account deletion: every passkey of the account (the foreign key cascades too; this is explicit). */
export function deleteAllPasskeys(db: Database, userId: string | SQL) {
  return db.delete(passkeys).where(eq(passkeys.userId, userId));
}

/** Account deletion: challenges the account asked for. */
export function deleteUserChallenges(db: Database, userId: string | SQL) {
  return db.delete(passkeyChallenges).where(eq(passkeyChallenges.userId, userId));
}
