/**
 * The `code_lockouts` table: the per-address cool-down for emailed codes (RL-3). Wrong guesses are
 * counted per address across every code (sign-in and step-up), session and IP; a new code does not reset
 * them (NIST 800-63B-4 §3.1.3.2). LIMIT_CODE_FAILURES in a window pauses code entry for
 * CODE_COOLDOWN_SECONDS; it ends by itself. Links keep working throughout.
 */
import { and, eq, gt, lt, sql, type SQL } from "drizzle-orm";
import { codeLockouts } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";

/** True while the address's code entry is not paused. */
export function codesNotPaused(email: string, now: Date): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM ${codeLockouts} WHERE ${codeLockouts.email} = ${email} AND ${codeLockouts.lockedUntil} > ${now.getTime()})`;
}

/** When the address's cool-down ends, if it is on now. */
export async function codeLockedUntil(db: Database, email: string, now: Date): Promise<number | null> {
  const [row] = await db
    .select({ lockedUntil: codeLockouts.lockedUntil })
    .from(codeLockouts)
    .where(and(eq(codeLockouts.email, email), gt(codeLockouts.lockedUntil, now)))
    .limit(1);
  return row?.lockedUntil?.getTime() ?? null;
}

/**
 * Counts one wrong emailed code against the address's window, only when `counted` holds (a statement
 * before it in the batch counted this guess against a live code). Returns `failures, locked_until`.
 */
export function countCodeFailure(db: Database, config: AppConfig, { email, now, counted }: { email: string; now: Date; counted: SQL }) {
  const { codeFailures, codeCooldownMs } = config.limits;
  const at = now.getTime();
  const newWindow = sql`window_started_at <= ${at - codeFailures.windowMs}`;
  const failures = sql`(CASE WHEN ${newWindow} THEN 1 ELSE failures + 1 END)`;
  return db.all<{ failures: number; locked_until: number | null }>(sql`
    INSERT INTO ${codeLockouts} (email, failures, window_started_at, locked_until)
    SELECT ${email}, 1, ${at}, CASE WHEN 1 >= ${codeFailures.limit} THEN ${at + codeCooldownMs} END WHERE ${counted}
    ON CONFLICT (email) DO UPDATE SET
      failures = ${failures},
      window_started_at = CASE WHEN ${newWindow} THEN ${at} ELSE window_started_at END,
      locked_until = CASE WHEN ${failures} >= ${codeFailures.limit} THEN ${at + codeCooldownMs} ELSE locked_until END
    RETURNING failures, locked_until`);
}

export function deleteLockoutForEmail(db: Database, email: string) {
  return db.delete(codeLockouts).where(eq(codeLockouts.email, email));
}

/** Daily purge: cool-downs that ended, with windows older than a day. */
export function deleteStaleLockouts(db: Database, now: Date) {
  return db
    .delete(codeLockouts)
    .where(and(sql`coalesce(${codeLockouts.lockedUntil}, 0) < ${now.getTime()}`, lt(codeLockouts.windowStartedAt, new Date(now.getTime() - 24 * 60 * 60 * 1000))));
}
