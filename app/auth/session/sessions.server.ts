/**
 * The `sessions` table: every statement that reads or writes it. A session row's id is the SHA-256 of the
 * opaque token in the person's cookie (TOK-2); the server alone decides whether it is alive (SES-3, SES-4).
 * Flows compose these statements into batches (runBatch), so a sign-in, a revocation or a deletion is
 * one transaction with whatever else it changes.
 */
import { and, eq, gt, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { sessions, users } from "~/db/schema";
import { latestGitHubJson } from "../identities/identities.server";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { ClientInfo } from "~/lib/client-info.server";

/** Writing last_seen on every request would cost a D1 write per page view; hourly is precise enough. */
export const LAST_SEEN_REFRESH_MS = 60 * 60 * 1000;

/** The session with its user and most recently used GitHub account, by the session's id. */
export function findSessionWithUser(db: Database, id: string) {
  return db
    .select({ session: sessions, user: users, github: latestGitHubJson(sql`${users.id}`) })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id))
    .limit(1);
}

/** True for a session row alive at `now`: before its absolute expiry and not idle too long. */
export function isLiveSession(now: Date, config: Pick<AppConfig, "sessionIdleMs">): SQL {
  return and(gt(sessions.expiresAt, now), gt(sessions.lastSeenAt, new Date(now.getTime() - config.sessionIdleMs)))!;
}

/** What a new session records about how and from where it signed in. */
export interface NewSession {
  id: string;
  at: Date;
  expiresAt: Date;
  method: string;
  client: ClientInfo;
}

/**
 * Inserts the session for the user that `source` yields (a SELECT with a `user_id` column, e.g. the user
 * behind a token this batch just consumed), and only if it yields one: the statement before it in the
 * batch decides whether this sign-in happens at all. Returns `user_id`.
 */
export function insertSessionFor(db: Database, source: SQL, { id, at, expiresAt, method, client }: NewSession) {
  return db.all<{ user_id: string }>(sql`
    INSERT INTO ${sessions} (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent, country, city, method, authenticated_at)
    SELECT ${id}, src.user_id, ${at.getTime()}, ${expiresAt.getTime()}, ${at.getTime()}, ${client.ip}, ${client.userAgent},
      ${client.country}, ${client.city}, ${method}, ${at.getTime()}
    FROM (${source}) AS src
    RETURNING user_id`);
}

/** Session rotation (SES-2): the browser's previous session ends, if `when` (a condition) holds. */
export function deleteSessionWhen(db: Database, id: string | null, when: SQL) {
  return db.delete(sessions).where(and(eq(sessions.id, id ?? ""), when));
}

export function deleteSession(db: Database, id: string) {
  return db.delete(sessions).where(eq(sessions.id, id)).returning({ userId: sessions.userId });
}

/** One of this user's sessions; another user's session id simply matches nothing. */
export function deleteUserSession(db: Database, { id, userId }: { id: string; userId: string }) {
  return db
    .delete(sessions)
    .where(and(eq(sessions.id, id), eq(sessions.userId, userId)))
    .returning({ id: sessions.id });
}

/** Every session of a user (an id, or a subquery yielding one), except `except` and only when `when` holds. */
export function deleteUserSessions(db: Database, userId: string | SQL, { except, when }: { except?: string; when?: SQL } = {}) {
  return db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), except ? ne(sessions.id, except) : undefined, when))
    .returning({ id: sessions.id });
}

/** Marks a session as in use at `now`, at most once an hour (a page view, an app refreshing its tokens). */
export function touchSession(db: Database, id: string | SQL, now: Date) {
  return db
    .update(sessions)
    .set({ lastSeenAt: now })
    .where(and(eq(sessions.id, id), lt(sessions.lastSeenAt, new Date(now.getTime() - LAST_SEEN_REFRESH_MS))));
}

/**
 * Step-up (SES-5): this session just proved who it is again, if `when` (the proof, re-checked inside the
 * batch) holds. Matches only the user's own session; no row back means it ended or the proof was spent.
 */
export function markSessionAuthenticated(db: Database, { id, userId, now, when }: { id: string; userId: string; now: Date; when?: SQL }) {
  return db
    .update(sessions)
    .set({ authenticatedAt: now })
    .where(and(eq(sessions.id, id), eq(sessions.userId, userId), when))
    .returning({ id: sessions.id });
}

/** Live sessions of a user, this one first, then most recently used. */
export function listLiveSessions(db: Database, { userId, currentId, now, config }: { userId: string; currentId: string; now: Date; config: Pick<AppConfig, "sessionIdleMs"> }) {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isLiveSession(now, config)))
    .orderBy(sql`${sessions.id} = ${currentId} DESC`, sql`${sessions.lastSeenAt} DESC`, sql`${sessions.createdAt} DESC`);
}

/** Daily purge: sessions past their absolute or idle expiry. */
export function deleteExpiredSessions(db: Database, now: Date, config: Pick<AppConfig, "sessionIdleMs">) {
  return db.delete(sessions).where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, new Date(now.getTime() - config.sessionIdleMs))));
}
