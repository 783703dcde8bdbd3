/**
 * The `users` table: every statement that writes it, and the fragments other statements use to find a
 * user. An account is its email (trimmed, lower-cased: the unique key) plus when it was verified and
 * when its first device was seen. Accounts are created by the first redeemed email or provider sign-in.
 */
import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import { users } from "~/db/schema";
import type { Database } from "~/lib/db.server";

/** The user with `userId` as a sign-in subject: `user_id` and the `redirect_to` the sign-in carries. */
export function userAsSubject(userId: string, redirectTo: string | null): SQL {
  return sql`SELECT ${users.id} AS user_id, ${redirectTo} AS redirect_to FROM ${users} WHERE ${users.id} = ${userId}`;
}

/** The id of the account with `email`, as a subquery (null when there is none). */
export function userIdByEmail(email: string | SQL): SQL {
  return sql`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${email})`;
}

/** True when an account has this address. */
export function accountExists(email: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.email} = ${email})`;
}

/**
 * Creates the account for the address `source` yields (a SELECT with an `email` column), or marks an
 * existing one verified; with sign-up off only existing accounts are touched (ENU-1).
 */
export function upsertVerifiedUser(db: Database, source: SQL, { newId, at, allowSignup }: { newId: string; at: Date; allowSignup: boolean }) {
  const when = allowSignup ? sql`1` : sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.email} = src.email)`;
  return db.run(sql`
    INSERT INTO ${users} (id, email, email_verified_at, created_at)
    SELECT ${newId}, src.email, ${at.getTime()}, ${at.getTime()} FROM (${source}) AS src WHERE ${when}
    ON CONFLICT (email) DO UPDATE SET email_verified_at = coalesce(${users.emailVerifiedAt}, excluded.email_verified_at)`);
}

/** A new account for a provider's verified email, only when `when` holds and no account has it. Returns `id`. */
export function insertUserIfNew(db: Database, { id, email, at, when }: { id: string; email: string; at: Date; when: SQL }) {
  return db.all<{ id: string }>(sql`
    INSERT INTO ${users} (id, email, email_verified_at, created_at)
    SELECT ${id}, ${email}, ${at.getTime()}, ${at.getTime()} WHERE ${when}
    ON CONFLICT (email) DO NOTHING
    RETURNING id`);
}

export function findUserByEmail(db: Database, email: string) {
  return db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
}

export function findUserEmail(db: Database, userId: string) {
  return db.select({ email: users.email }).from(users).where(eq(users.id, userId)).limit(1);
}

/** Records the account's first device (once); a change means this sign-in was that first device. */
export function markFirstDevice(db: Database, userId: string, at: Date) {
  return db
    .update(users)
    .set({ firstDeviceAt: at })
    .where(and(eq(users.id, userId), isNull(users.firstDeviceAt)))
    .returning({ id: users.id });
}

export function deleteUser(db: Database, userId: string) {
  return db.delete(users).where(eq(users.id, userId));
}
