/**
 * The `send_budget` table: sign-in emails the whole deployment sent per window (LIMIT_GLOBAL_SENDS),
 * counted exactly, in the same batch that issues each token, so a botnet can't burn the mail provider's
 * quota and sender reputation (decision 011).
 */
import { lt, sql, type SQL } from "drizzle-orm";
import { sendBudget } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { Rate } from "~/lib/env.server";

/** The start of the window `now` falls in. */
export function budgetWindow(rate: Rate, now: Date): number {
  return Math.floor(now.getTime() / rate.windowMs) * rate.windowMs;
}

/** Emails counted so far in the window (0 before the first). */
export function sentInWindow(window: number): SQL {
  return sql`coalesce((SELECT ${sendBudget.sent} FROM ${sendBudget} WHERE ${sendBudget.windowStart} = ${window}), 0)`;
}

/** Counts one email in the window, only if `when` holds (the token was issued and will be emailed). */
export function countSend(db: Database, window: number, when: SQL) {
  return db.run(sql`
    INSERT INTO ${sendBudget} (window_start, sent) SELECT ${window}, 1 WHERE ${when}
    ON CONFLICT (window_start) DO UPDATE SET sent = sent + 1`);
}

/** Daily purge: windows that ended a day ago or more. */
export function deleteOldWindows(db: Database, now: Date) {
  return db.delete(sendBudget).where(lt(sendBudget.windowStart, now.getTime() - 24 * 60 * 60 * 1000));
}
