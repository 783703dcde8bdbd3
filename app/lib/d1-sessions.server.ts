/**
 * D1 read replication (issue 15, decision 014): each request talks to D1 through one D1 session (the
 * Sessions API), so that once read replication is turned on, reads may be served by a replica near the
 * request while a browser still reads its own writes, and access is still decided on the primary.
 *
 * Where a request's session starts:
 * - "first-primary" for every request that carries credentials or may write: a session or pending
 *   sign-in cookie, an Authorization header, or any method other than GET/HEAD. Its first query (the
 *   session lookup, the token or grant check, the consuming UPDATE) reads the primary, so revocation
 *   never lags (SES-7), and the rest of the request's reads see at least that state, wherever D1 serves
 *   them. A person's own sign-in, revocations and 2FA changes are therefore always visible to them.
 * - the bookmark from the `latchkey_d1` cookie, for anonymous GET/HEAD requests after this browser wrote
 *   something (e.g. signed out): any replica that serves them has caught up with that write.
 * - "first-unconstrained" otherwise: the nearest copy, for requests that read nothing person-specific.
 *
 * After a request that may have written (not GET/HEAD), the session's bookmark is sent back in that
 * cookie. It is signed like every other cookie of ours, so a forged bookmark can't reach D1.
 * Without replication enabled every query goes to the primary and all of this changes nothing.
 */
import type { AppConfig } from "./env.server";
import { appCookie, readCookieValue } from "./cookies.server";

/** Long past any replication lag D1 shows; a bookmark older than the replicas' state changes nothing. */
export const BOOKMARK_MAX_AGE_S = 10 * 60;

/** The cookies whose presence means the request may make an access decision (SES-7). */
const CREDENTIAL_COOKIES = /(?:^|;\s*)(?:__Host-)?latchkey_(?:session|2fa)=/;

const bookmarkCookie = (config: AppConfig) => appCookie(config, "latchkey_d1", BOOKMARK_MAX_AGE_S);

export type SessionStart = "first-primary" | "first-unconstrained" | { bookmark: string };

const readsOnly = (request: Request) => request.method === "GET" || request.method === "HEAD";

/** Where this request's D1 session starts (see the module comment). */
export async function chooseSessionStart(request: Request, config: AppConfig): Promise<SessionStart> {
  const cookies = request.headers.get("Cookie") ?? "";
  if (!readsOnly(request) || request.headers.has("Authorization") || CREDENTIAL_COOKIES.test(cookies)) return "first-primary";
  const bookmark = cookies.includes("latchkey_d1=") ? await readCookieValue(request, bookmarkCookie(config)) : null;
  return bookmark ? { bookmark } : "first-unconstrained";
}

export interface RequestD1 {
  /** The D1 session every query of this request goes through. */
  session: D1DatabaseSession;
  /** The Set-Cookie value carrying the session's bookmark after a request that may have written, or null. */
  bookmarkCookie(): Promise<string | null>;
}

/** Opens this request's D1 session. */
export async function openRequestD1(d1: D1Database, request: Request, config: AppConfig): Promise<RequestD1> {
  const start = await chooseSessionStart(request, config);
  const session = d1.withSession(typeof start === "string" ? start : start.bookmark);
  return {
    session,
    async bookmarkCookie() {
      if (readsOnly(request)) return null;
      const bookmark = session.getBookmark();
      return bookmark ? bookmarkCookie(config).serialize(bookmark) : null;
    },
  };
}
