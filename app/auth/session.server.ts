/**
 * Sessions: an opaque random token in a signed cookie, its SHA-256 as the row id in D1. The server is the
 * only authority on whether a session is alive (SES-3, SES-4): expiry and revocation are decided here,
 * never by the cookie's own lifetime.
 */
import { createCookie, redirect, type Cookie } from "@remix-run/cloudflare";
import { eq } from "drizzle-orm";
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
}

const cookies = new WeakMap<AppConfig, Cookie>();

/**
 * `__Host-` pins the cookie to this exact origin over https (no Domain, Path=/, Secure). Plain-http
 * localhost cannot carry Secure cookies in every browser, so local development drops the prefix.
 */
export function sessionCookie(config: AppConfig): Cookie {
  let cookie = cookies.get(config);
  if (!cookie) {
    cookie = createCookie(config.secureCookies ? "__Host-latchkey_session" : "latchkey_session", {
      httpOnly: true,
      secure: config.secureCookies,
      sameSite: "lax",
      path: "/",
      secrets: config.sessionSecrets,
      maxAge: Math.floor(config.sessionLifetimeMs / 1000),
    });
    cookies.set(config, cookie);
  }
  return cookie;
}

export function generateSessionToken(): string {
  return generateToken(32);
}

/** The session token from a request's cookie, or null if absent or its signature doesn't verify. */
export async function readSessionToken(request: Request, config: AppConfig): Promise<string | null> {
  const header = request.headers.get("Cookie");
  if (!header) return null;
  // A tampered cookie fails signature verification and parses as null; a mangled one can make the
  // decoder throw. Either way the visitor is simply signed out.
  const value: unknown = await sessionCookie(config)
    .parse(header)
    .catch(() => null);
  return typeof value === "string" && value.length > 0 ? value : null;
}

export function serializeSessionCookie(config: AppConfig, token: string, expiresAt: Date): Promise<string> {
  return sessionCookie(config).serialize(token, { expires: expiresAt });
}

export function serializeExpiredSessionCookie(config: AppConfig): Promise<string> {
  return sessionCookie(config).serialize("", { expires: new Date(0), maxAge: 0 });
}

/** The row a new session is stored as. Callers insert it (alone or inside a sign-in batch). */
export async function newSessionValues(
  token: string,
  userId: string,
  client: ClientInfo,
  { now, config }: { now: Date; config: AppConfig },
): Promise<Session> {
  return {
    id: await sha256Hex(token),
    userId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + config.sessionLifetimeMs),
    lastSeenAt: now,
    ip: client.ip,
    userAgent: client.userAgent,
    country: client.country,
  };
}

export async function createSession(
  db: Database,
  userId: string,
  client: ClientInfo,
  deps: { now: Date; config: AppConfig },
): Promise<{ token: string; session: Session }> {
  const token = generateSessionToken();
  const session = await newSessionValues(token, userId, client, deps);
  await db.insert(sessions).values(session);
  return { token, session };
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
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id))
    .limit(1);
  if (!row) return null;

  const { session } = row;
  const idleFor = now.getTime() - session.lastSeenAt.getTime();
  if (session.expiresAt.getTime() <= now.getTime() || idleFor >= config.sessionIdleMs) {
    await db.delete(sessions).where(eq(sessions.id, id));
    return null;
  }
  if (idleFor >= LAST_SEEN_REFRESH_MS) {
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id));
    session.lastSeenAt = now;
  }
  return row;
}

/** Deletes the session for `token`; returns its user's id if there was one. */
export async function invalidateSession(db: Database, token: string): Promise<string | null> {
  const [row] = await db
    .delete(sessions)
    .where(eq(sessions.id, await sha256Hex(token)))
    .returning({ userId: sessions.userId });
  return row?.userId ?? null;
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
