/**
 * Who is signed in: the session behind a request's cookie, validated in D1 on every request (SES-3,
 * SES-4), and sign-out. Expired or idle sessions are deleted on sight; `last_seen_at` moves at most hourly.
 */
import { redirect } from "@remix-run/cloudflare";
import type { Session, User } from "~/db/schema";
import type { ClientInfo } from "~/lib/client-info.server";
import { databaseOutage, type Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import { sha256Hex } from "~/lib/crypto.server";
import type { AuthDeps } from "../deps";
import { recordAuthEvent } from "../audit/events.server";
import { readSessionToken } from "./cookies.server";
import { deleteSession, findSessionWithUser, LAST_SEEN_REFRESH_MS, touchSession } from "./sessions.server";

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
  const [row] = await findSessionWithUser(db, id);
  if (!row) return null;
  const { session, user } = row;
  const idleFor = now.getTime() - session.lastSeenAt.getTime();
  if (session.expiresAt.getTime() <= now.getTime() || idleFor >= config.sessionIdleMs) {
    await deleteSession(db, id);
    return null;
  }
  if (idleFor >= LAST_SEEN_REFRESH_MS) {
    await touchSession(db, id, now);
    session.lastSeenAt = now;
  }
  const github = row.github === null ? null : (JSON.parse(row.github) as LinkedGitHub);
  return { session, user, github };
}

/** Deletes the session for `token`; returns its user's id if there was one. */
export async function invalidateSession(db: Database, token: string): Promise<string | null> {
  const [row] = await deleteSession(db, await sha256Hex(token));
  return row?.userId ?? null;
}

/** Sign-out (SES-3): the session ends on the server, so a copied cookie stops working too. */
export async function signOut(deps: Pick<AuthDeps, "db" | "config" | "now" | "waitUntil">, { token, client }: { token: string; client: ClientInfo }): Promise<void> {
  const userId = await invalidateSession(deps.db, token);
  if (userId) recordAuthEvent(deps, { type: "sign_out", userId, client });
}

type RequestDeps = Pick<AuthDeps, "db" | "config" | "now">;

// Remix runs the root and page loaders of a document request with separate copies of the Request but
// one load context (built per request by the Worker). Remembering the lookup per context and cookie
// saves a D1 round trip on every signed-in page view.
const lookups = new WeakMap<RequestDeps, Map<string, Promise<Outcome>>>();

type Outcome = { signedIn: SignedIn | null } | { failure: unknown };

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
    lookup = lookUpSession(request, deps).then(
      (signedIn) => ({ signedIn }),
      (failure: unknown) => ({ failure }),
    );
    byCookie.set(cookie, lookup);
  }
  return lookup.then((outcome) => {
    if ("signedIn" in outcome) return outcome.signedIn;
    // A D1 outage is a thrown 503 Response. Each loader that asked gets its own copy: Remix reads the
    // body of every Response a loader throws, and a second read of one shared body is a 500.
    throw databaseOutage(outcome.failure)?.clone() ?? outcome.failure;
  });
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
