/**
 * The two small cookies around passkeys: "this device was offered a passkey" (so the offer after an
 * email sign-in appears once per device), and a one-shot notice for the account page after a rename or
 * delete form (its answer is a plain 303 to /account).
 */
import { appCookie, readCookieValue, serializeExpiredCookie } from "~/lib/cookies.server";
import type { AppConfig } from "~/lib/env.server";

/** Browsers cap cookie lifetimes at 400 days; the offer is remembered for all of it. */
const OFFER_MAX_AGE_S = 400 * 24 * 60 * 60;
const offerCookie = (config: AppConfig) => appCookie(config, "latchkey_passkey_offer", OFFER_MAX_AGE_S);
const noticeCookie = (config: AppConfig) => appCookie(config, "latchkey_passkey_notice", 60);

export async function passkeyOfferSeen(request: Request, config: AppConfig): Promise<boolean> {
  return (await readCookieValue(request, offerCookie(config))) === "seen";
}

export function serializePasskeyOfferSeen(config: AppConfig): Promise<string> {
  return offerCookie(config).serialize("seen");
}

export type PasskeyNotice = { kind: "notice" | "error"; message: string };

export function serializePasskeyNotice(config: AppConfig, notice: PasskeyNotice): Promise<string> {
  return noticeCookie(config).serialize(JSON.stringify(notice));
}

/** The notice left by the last passkey form, if any, and the Set-Cookie that clears it. */
export async function takePasskeyNotice(request: Request, config: AppConfig): Promise<{ notice: PasskeyNotice | null; clear: string | null }> {
  const raw = await readCookieValue(request, noticeCookie(config));
  if (!raw) return { notice: null, clear: null };
  const clear = await serializeExpiredCookie(noticeCookie(config));
  try {
    const parsed = JSON.parse(raw) as PasskeyNotice;
    const valid = (parsed.kind === "notice" || parsed.kind === "error") && typeof parsed.message === "string";
    return { notice: valid ? { kind: parsed.kind, message: parsed.message.slice(0, 300) } : null, clear };
  } catch {
    return { notice: null, clear };
  }
}
