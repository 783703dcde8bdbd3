/**
 * Latchkey's cookies: signed with the session secrets, HttpOnly, SameSite=Lax, and `__Host-`-prefixed
 * over https (pinned to this exact origin: no Domain, Path=/, Secure). Plain-http localhost cannot carry
 * Secure cookies in every browser, so local development drops the prefix.
 */
import { createCookie, type Cookie } from "@remix-run/cloudflare";
import type { AppConfig } from "./env.server";

const made = new WeakMap<AppConfig, Map<string, Cookie>>();

export function appCookie(config: AppConfig, name: string, maxAgeSeconds: number): Cookie {
  let byName = made.get(config);
  if (!byName) {
    byName = new Map();
    made.set(config, byName);
  }
  let cookie = byName.get(name);
  if (!cookie) {
    cookie = createCookie(config.secureCookies ? `__Host-${name}` : name, {
      httpOnly: true,
      secure: config.secureCookies,
      sameSite: "lax",
      path: "/",
      secrets: config.sessionSecrets,
      maxAge: maxAgeSeconds,
    });
    byName.set(name, cookie);
  }
  return cookie;
}

/** The cookie's string value, or null if absent, unsigned, tampered with or mangled. Never throws. */
export async function readCookieValue(request: Request, cookie: Cookie): Promise<string | null> {
  const header = request.headers.get("Cookie");
  if (!header) return null;
  const value: unknown = await cookie.parse(header).catch(() => null);
  return typeof value === "string" && value.length > 0 ? value : null;
}

export function serializeExpiredCookie(cookie: Cookie): Promise<string> {
  return cookie.serialize("", { expires: new Date(0), maxAge: 0 });
}
