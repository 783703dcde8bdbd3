/**
 * The `recovery_codes` table: ten single-use codes per account with an authenticator, stored as SHA-256
 * only (they carry ~79 random bits, so a plain hash suffices; OTP-4). Regenerating replaces the set.
 */
import { and, eq, gte, isNull, sql, type SQL } from "drizzle-orm";
import { recoveryCodes } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import { sha256Hex } from "~/lib/crypto.server";
import { normalizeRecoveryCode } from "./totp.server";

/** How many unused codes the user (an id or a column) has, as a subquery. */
export function unusedRecoveryCodes(userId: string | SQL): SQL<number> {
  return sql<number>`(SELECT count(*) FROM ${recoveryCodes} WHERE ${recoveryCodes.userId} = ${userId} AND ${recoveryCodes.usedAt} IS NULL)`;
}

export function hashRecoveryCode(code: string): Promise<string> {
  return sha256Hex(normalizeRecoveryCode(code)!);
}

/**
 * One INSERT per code, each only if `when` holds (e.g. this request is the one that turned 2FA on). The
 * hashes are computed first: a drizzle query is a thenable, so it must never pass through Promise.all.
 */
export async function insertRecoveryCodes(db: Database, { userId, codes, at, when }: { userId: string; codes: string[]; at: Date; when: SQL }) {
  const hashes = await Promise.all(codes.map(hashRecoveryCode));
  return hashes.map((codeHash) =>
    db.run(sql`INSERT INTO ${recoveryCodes} (user_id, code_hash, created_at) SELECT ${userId}, ${codeHash}, ${at.getTime()} WHERE ${when}`),
  );
}

/** True while this unused code (its hash) belongs to the user (an id or a column). */
export function recoveryCodeUnused(userId: string | SQL, codeHash: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${recoveryCodes} r WHERE r.user_id = ${userId} AND r.code_hash = ${codeHash} AND r.used_at IS NULL)`;
}

/** Spends the code, once. */
export function spendRecoveryCode(db: Database, { userId, codeHash, now }: { userId: string | SQL; codeHash: string; now: Date }) {
  return db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)));
}

/** True for a code made at or after `since` (a time, or a subquery yielding one). */
export function codeMadeSince(since: SQL): SQL {
  return sql`${recoveryCodes.createdAt} >= ${since}`;
}

/** The user's codes (an id or a subquery), when `when` holds; those made at or after `since` only, if given. */
export function deleteRecoveryCodes(db: Database, userId: string | SQL, { when, since }: { when?: SQL; since?: SQL } = {}) {
  return db
    .delete(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), since ? gte(recoveryCodes.createdAt, since) : undefined, when))
    .returning({ id: recoveryCodes.id });
}
