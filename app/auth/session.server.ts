/**
 * Sessions: an opaque random token in a signed cookie, its SHA-256 as the row id in D1. The server is the
 * only authority on whether a session is alive (SES-3, SES-4): expiry and revocation are decided here,
 * never by the cookie's own lifetime.
 */
import { redirect, type Cookie } from "@remix-run/cloudflare";
import { appCookie, readCookieValue, serializeExpiredCookie } from "~/lib/cookies.server";
import { and, eq, gt, lt, sql, type SQL } from "drizzle-orm";
import { sessions, users, type Session, type User } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateToken, sha256Hex } from "~/lib/crypto.server";
import { recordAuthEvent, type EventDeps } from "./events.server";

/** Writing last_seen on every request would cost a D1 write per page view; hourly is precise enough. */
export const LAST_SEEN_REFRESH_MS = 60 * 60 * 1000;

export interface SignedIn {
  session: Session;
  user: User;
  /** The GitHub account linked to the user (the most recently used), fetched in the same query. */
  github: LinkedGitHub | null;
}

export interface LinkedGitHub {
  login: string | null;
  name: string | null;
  avatarUrl: string | null;
}

// One correlated subquery rather than a join: a user may have linked several GitHub accounts, and the
// session lookup must stay one row and one D1 round trip.
export const latestGitHub = sql<string | null>`(SELECT json_object('login', login, 'name', name, 'avatarUrl', avatar_url) FROM identities
  WHERE identities.user_id = ${users.id} AND identities.provider = 'github' ORDER BY identities.updated_at DESC LIMIT 1)`;

/** The session cookie (`__Host-latchkey_session` over https). Its lifetime is decided in D1, not here. */
export function sessionCookie(config: AppConfig): Cookie {
  return appCookie(config, "latchkey_session", Math.floor(config.sessionLifetimeMs / 1000));
}

export function generateSessionToken(): string {
  return generateToken(32);
}

/** The session token from a request's cookie, or null if absent or its signature doesn't verify. */
export function readSessionToken(request: Request, config: AppConfig): Promise<string | null> {
  return readCookieValue(request, sessionCookie(config));
}

export function serializeSessionCookie(config: AppConfig, token: string, expiresAt: Date): Promise<string> {
  return sessionCookie(config).serialize(token, { expires: expiresAt });
}

export function serializeExpiredSessionCookie(config: AppConfig): Promise<string> {
  return serializeExpiredCookie(sessionCookie(config));
}

/**
 * The session and user for a token, or null when it is unknown, past its absolute expiry, or idle for
 * too long. Dead sessions are deleted on sight. `last_seen_at` moves at most once an hour.
 */
export async function validateSessionToken(
  db: Database,
  token: string,
  { now, config }: { now: Date; config: AppConfig },
): Promise<SignedIn | null> {
  const id = await sha256Hex(token);
  const [row] = await db
    .select({
      session: sessions,
      user: users,
      github: latestGitHub,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id))
    .limit(1);
  if (!row) return null;

  const { session, user } = row;
  const idleFor = now.getTime() - session.lastSeenAt.getTime();
  if (session.expiresAt.getTime() <= now.getTime() || idleFor >= config.sessionIdleMs) {
    await db.delete(sessions).where(eq(sessions.id, id));
    return null;
  }
  if (idleFor >= LAST_SEEN_REFRESH_MS) {
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id));
    session.lastSeenAt = now;
  }
  const github = row.github === null ? null : (JSON.parse(row.github) as LinkedGitHub);
  return { session, user, github };
}

/**
 * True for a session row that is alive at `now` (not past its absolute expiry, not idle too long), for
 * statements of other tables that hang on a session (the OIDC provider's grants and codes).
 */
export function isLiveSession(now: Date, config: Pick<AppConfig, "sessionIdleMs">): SQL {
  return and(gt(sessions.expiresAt, now), gt(sessions.lastSeenAt, new Date(now.getTime() - config.sessionIdleMs)))!;
}

/**
 * Marks the session whose id `sessionId` yields as in use (at most hourly, like a page view). An app
 * refreshing its tokens counts: the person is using something they signed into with this session.
 */
export function touchSession(db: Database, sessionId: SQL, now: Date) {
  return db
    .update(sessions)
    .set({ lastSeenAt: now })
    .where(and(eq(sessions.id, sessionId), lt(sessions.lastSeenAt, new Date(now.getTime() - LAST_SEEN_REFRESH_MS))));
}

/** Deletes the session for `token`; returns its user's id if there was one. */
export async function invalidateSession(db: Database, token: string): Promise<string | null> {
  const [row] = await db
    .delete(sessions)
    .where(eq(sessions.id, await sha256Hex(token)))
    .returning({ userId: sessions.userId });
  return row?.userId ?? null;
}

/**
 * Step-up (SES-5): this session just proved who it is again. Matches only the user's own live session
 * row; no row back means it ended meanwhile.
 */
export function markSessionAuthenticated(db: Database, { sessionId, userId, now }: { sessionId: string; userId: string; now: Date }) {
  return db
    .update(sessions)
    .set({ authenticatedAt: now })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)))
    .returning({ id: sessions.id });
}

/** Sign-out (SES-3): the session ends on the server, so a copied cookie stops working too. */
export async function signOut(deps: EventDeps, { token, client }: { token: string; client: ClientInfo }): Promise<void> {
  const userId = await invalidateSession(deps.db, token);
  if (userId) recordAuthEvent(deps, { type: "sign_out", userId, client });
}

interface RequestDeps {
  db: Database;
  config: AppConfig;
  now: () => Date;
}

// Remix runs the root and page loaders of a document request with separate copies of the Request but
// one load context (built per request by the Worker). Remembering the lookup per context and cookie
// saves a D1 round trip on every signed-in page view.
const lookups = new WeakMap<RequestDeps, Map<string, Promise<SignedIn | null>>>();

/** The signed-in session for a request, or null. Never throws for a bad or stale cookie. */
export function getSignedIn(request: Request, deps: RequestDeps): Promise<SignedIn | null> {
  const cookie = request.headers.get("Cookie") ?? "";
  let byCookie = lookups.get(deps);
  if (!byCookie) {
    byCookie = new Map();
    lookups.set(deps, byCookie);
  }
  let lookup = byCookie.get(cookie);
  if (!lookup) {
    lookup = lookUpSession(request, deps);
    byCookie.set(cookie, lookup);
  }
  return lookup;
}

async function lookUpSession(request: Request, { db, config, now }: RequestDeps): Promise<SignedIn | null> {
  const token = await readSessionToken(request, config);
  if (!token) return null;
  return validateSessionToken(db, token, { now: now(), config });
}

/** Like getSignedIn, but sends a signed-out visitor to sign in and back here afterwards. */
export async function requireSignedIn(request: Request, deps: RequestDeps): Promise<SignedIn> {
  const signedIn = await getSignedIn(request, deps);
  if (signedIn) return signedIn;
  const url = new URL(request.url);
  const params = new URLSearchParams({ redirectTo: url.pathname + url.search });
  throw redirect(`/login?${params}`, { status: 303 });
}
