/** The cookie that carries a pending sign-in (first factor done, second due) to /auth/2fa. */
import type { AppConfig } from "~/lib/env.server";
import { appCookie, readCookieValue, serializeExpiredCookie } from "~/lib/cookies.server";
import { PENDING_SIGN_IN_LIFETIME_MS } from "./start-session.server";

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
