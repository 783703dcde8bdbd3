/**
 * The session cookie (`__Host-latchkey_session`) and the pending sign-in's cookie (`__Host-latchkey_2fa`).
 * Both carry only an opaque random token, signed; whether it still means anything is decided in D1.
 */
import type { Cookie } from "@remix-run/cloudflare";
import type { AppConfig } from "~/lib/env.server";
import { appCookie, readCookieValue, serializeExpiredCookie } from "~/lib/cookies.server";
import { PENDING_SIGN_IN_LIFETIME_MS } from "./pending-sign-ins.server";

/** The session cookie. Its lifetime is decided in D1 (SES-4), not by the cookie. */
export function sessionCookie(config: AppConfig): Cookie {
  return appCookie(config, "latchkey_session", Math.floor(config.sessionLifetimeMs / 1000));
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

const pendingCookie = (config: AppConfig) => appCookie(config, "latchkey_2fa", PENDING_SIGN_IN_LIFETIME_MS / 1000);

export function readPendingToken(request: Request, config: AppConfig): Promise<string | null> {
  return readCookieValue(request, pendingCookie(config));
}

export function serializePendingCookie(config: AppConfig, token: string, expiresAt: Date): Promise<string> {
  return pendingCookie(config).serialize(token, { expires: expiresAt });
}

export function serializeExpiredPendingCookie(config: AppConfig): Promise<string> {
  return serializeExpiredCookie(pendingCookie(config));
}
